"""The sections every report has, whatever case types exist: money, payouts by month, plan targets,
casework, approvals waiting, open payouts, reconciliation. Registered in the order shown.

Each builder reads the shared ``ReportContext`` and returns a ``Section``; none writes anything.
No builder reads a name, an ID number, an account or a free-text reason: case numbers, payout
references, unit codes and staff numbers are all a section ever shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from models.enums import CaseStatus, CaseType
from models.ledger import AccountKind, Accounts
from models.payouts import PayoutStatus
from models.reconciliation import OTHER_MONTH, UNPAID_NOT_AT_PROVIDER, DiscrepancyClass
from services.reports.context import FINISHED, ReportContext
from services.reports.model import (
    NO_DATA,
    UNKNOWN,
    Bars,
    Cell,
    Column,
    ColumnType,
    Progress,
    Section,
    StackedBars,
    display,
    share,
)
from services.reports.registry import APPROVAL_WAIT_LIMITS, MEASURES, register_section

T = ColumnType

DEFAULT_APPROVAL_WAIT_DAYS = 10
"""How long a case may wait for its approval decision before the report lists it, in calendar days,
for case types whose policy has no setting for it (the hardship policy has none yet)."""

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("d0_7", 0, 7), ("d8_30", 8, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d91_plus", 91, None),
)

CASE_TYPE_LABELS = {
    CaseType.hardship: "困难职工帮扶 hardship aid",
    CaseType.mediation: "劳动争议调解 dispute mediation",
    CaseType.insurance: "职工互助保障 mutual insurance",
}

STATUS_LABELS = {
    CaseStatus.submitted: "已提交", CaseStatus.verifying: "核查中", CaseStatus.needs_information: "待补充材料",
    CaseStatus.awaiting_approval: "待审批", CaseStatus.approved: "已批准", CaseStatus.rejected: "未获批准",
    CaseStatus.payout_pending: "待支付", CaseStatus.paid: "已支付", CaseStatus.closed: "已结案",
    CaseStatus.withdrawn: "已撤回", CaseStatus.accepted: "已受理", CaseStatus.in_mediation: "调解中",
    CaseStatus.agreement_reached: "达成协议", CaseStatus.mediation_failed: "调解未成",
    CaseStatus.referred_to_arbitration: "转仲裁",
}

PAYOUT_STATUS_LABELS = {
    PayoutStatus.prepared: "已生成 prepared (not sent yet)",
    PayoutStatus.submitted: "已发送 submitted (no answer yet)",
    PayoutStatus.unknown: "结果未知 outcome unknown",
}


ALL_TYPES = "合计 all"
OPEN_EXCEPTIONS = "open exceptions 未处理差异"
SIGNED_OFF_BY = "signed off by 签核人"
VERSION = "version 版本"


def case_type_label(case_type: CaseType | str) -> str:
    return CASE_TYPE_LABELS.get(CaseType(case_type), str(case_type))


# --- money -------------------------------------------------------------------------------------------

MONEY_COLUMNS = (
    Column("programme", "项目 programme"),
    Column("name", "名称 name"),
    Column("case_type", "类型 case type"),
    Column("year", "年度 year"),
    Column("budget", "预算 budget", T.yuan),
    Column("reserved", "已预留 reserved", T.yuan),
    Column("paid_month", "本月支付 paid this month", T.yuan),
    Column("paid_ytd", "累计支付 paid year to date", T.yuan),
    Column("remaining", "可用余额 remaining", T.yuan),
    Column("owed", "应收未收 owed to the fund", T.yuan),
    Column("recovered", "已收回 recovered", T.yuan),
    Column("used", "预算使用 budget used", T.percent),
)


@register_section("money")
def money(ctx: ReportContext) -> Section:
    """Per programme: the budget and where it stands at the end of the month, exact to the fen."""
    paid_in_month: Counter[int] = Counter()
    for line in ctx.paid_lines:
        if ctx.in_month(line.posted_at):
            paid_in_month[line.programme_id] += line.amount_fen
    rows: list[tuple[Cell, ...]] = []
    for programme in ctx.programmes:
        if programme.year != ctx.year and programme.id not in paid_in_month:
            continue
        accounts = Accounts(programme.code, programme.year)
        budget = -ctx.balances.get(accounts.funding, 0)
        reserved = ctx.balances.get(accounts.reserved, 0)
        paid = ctx.balances.get(accounts.paid, 0)
        remaining = ctx.balances.get(accounts.available, 0)
        owed = ctx.balances.get(accounts.of(AccountKind.receivable), 0)
        recovered = -ctx.balances.get(accounts.of(AccountKind.recoveries), 0) - owed
        rows.append((programme.code, programme.name, case_type_label(programme.case_type), str(programme.year),
                     budget, reserved, paid_in_month[programme.id], paid, remaining, owed, recovered,  # type: ignore[index]
                     share(reserved + paid, budget)))
    notes = (
        "Budget, reserved, paid year to date and remaining are the ledger's balances at the end of the period; "
        "budget + recovered = reserved + paid year to date + remaining, to the fen.",
        "Owed to the fund: what employers and others still owe back (a wage advance's repayment), open "
        "receivables; recovered: what has come back so far, available again.",
        "Paid this month: payouts settled in the month (ledger postings dated in it). A programme is one budget "
        "year, so paid year to date is everything paid from that year's budget.",
        "Budget used = (reserved + paid) / budget.",
    )
    return Section("money", "资金 Money by programme", MONEY_COLUMNS, tuple(rows), notes,
                   StackedBars("预算使用 Budget use per programme", "programme", ("paid_ytd", "reserved", "remaining")))


@register_section("money-by-type")
def money_by_type(ctx: ReportContext) -> Section:
    programme_rows = money(ctx).row_dicts()
    columns = (Column("case_type", "类型 case type"),) + tuple(
        c for c in MONEY_COLUMNS if c.type is T.yuan) + (Column("used", "预算使用 budget used", T.percent),)
    amounts = [c.key for c in columns if c.type is T.yuan]
    groups: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(amounts, 0))
    for row in programme_rows:
        for key in amounts:
            groups[str(row["case_type"])][key] += int(cast(int, row[key] or 0))  # yuan columns: integer fen
    if groups:
        groups[ALL_TYPES] = {key: sum(g[key] for g in list(groups.values())) for key in amounts}
    rows = tuple((label, *(g[k] for k in amounts), share(g["reserved"] + g["paid_ytd"], g["budget"]))
                 for label, g in groups.items())
    return Section("money-by-type", "资金 Money by case type", columns, rows,
                   ("The programmes of the money section added up per case type, and all together.",))


@register_section("payouts-by-month")
def payouts_by_month(ctx: ReportContext) -> Section:
    """Money paid per month of the year up to this one (all programmes), for the trend chart."""
    counts: Counter[int] = Counter()
    amounts: Counter[int] = Counter()
    for line in ctx.paid_lines:
        month = ctx.local(line.posted_at).month
        amounts[month] += line.amount_fen
        counts[month] += 1 if line.amount_fen > 0 else 0
    last = int(ctx.month[5:])
    rows = tuple((f"{ctx.year}-{m:02d}", counts[m], amounts[m]) for m in range(1, last + 1))
    columns = (Column("month", "月份 month"), Column("payouts", "笔数 payouts", T.count),
               Column("paid", "支付金额 paid", T.yuan))
    return Section("payouts-by-month", "每月支付 Payouts by month", columns, rows,
                   ("Payouts settled per month (ledger postings to the programmes' paid accounts, local dates).",),
                   Bars(f"每月支付 Monthly payouts {ctx.year}", "month", "paid", slots=12))


# --- plan targets ---------------------------------------------------------------------------------------

TARGET_COLUMNS = (
    Column("key", "代码 key"),
    Column("title", "目标 target"),
    Column("unit", "单位 unit"),
    Column("target", "计划 planned", T.count),
    Column("actual", "完成 actual", T.count),
    Column("achieved", "完成率 achieved", T.percent),
    Column("year_elapsed", "时间进度 year elapsed", T.percent),
    Column("pace", "进度 pace"),
)


def year_elapsed(ctx: ReportContext) -> Decimal:
    """The share of the plan year's days up to and including the period's last day."""
    first = date(ctx.last_day.year, 1, 1)
    days_in_year = (date(first.year + 1, 1, 1) - first).days
    return share((ctx.last_day - first).days + 1, days_in_year) or Decimal(0)


@register_section("targets")
def targets(ctx: ReportContext) -> Section:
    """The plan's targets against what the database shows; "no data" where nothing records it yet."""
    elapsed = year_elapsed(ctx)
    chart = Progress("目标进度 Targets progress", "title", "achieved", elapsed,
                     f"时间进度 year elapsed {display(elapsed, T.percent)}", status="actual", target="target")
    if ctx.plan is None or ctx.plan.year != ctx.year:
        problem = ctx.plan_problem or (f"The plan file is for {ctx.plan.year}, not {ctx.year}: point "
                                       f"UNIONAID_PLAN_FILE at the {ctx.year} plan." if ctx.plan else "No plan file.")
        return Section("targets", "年度目标 Plan targets", TARGET_COLUMNS, (), (problem,), chart)
    rows: list[tuple[Cell, ...]] = []
    notes = [f"Plan: {ctx.plan.title or ctx.plan.year}.",
             "Actual: counted from the database up to the end of the period; \"no data\" means nothing records "
             "it yet (not zero). Pace: on track when the share achieved is at least the share of the year elapsed."]
    for target in ctx.plan.targets:
        measure = MEASURES.get(target.measure_name)
        counted = measure(ctx, target.measure_argument) if measure else None
        actual: Cell = NO_DATA if counted is None else counted
        achieved = share(counted, target.target) if counted is not None and target.target else None
        pace = "" if achieved is None else ("on track 正常" if achieved >= elapsed else "behind 滞后")
        rows.append((target.key, f"{target.title.zh} {target.title.en}", target.unit,
                     UNKNOWN if target.target is None else target.target, actual, achieved, elapsed, pace))
        if target.note:
            notes.append(f"{target.key}: {target.note}")
    return Section("targets", "年度目标 Plan targets", TARGET_COLUMNS, tuple(rows), tuple(notes), chart)


# --- casework ---------------------------------------------------------------------------------------------


@register_section("cases")
def cases_by_status(ctx: ReportContext) -> Section:
    """Cases by type and status at the end of the period: those submitted this year, and older ones still open."""
    counts: Counter[tuple[CaseType, CaseStatus]] = Counter()
    for case_id, state in ctx.case_states.items():
        facts = ctx.cases[case_id]
        if facts.submitted_at >= ctx.year_start or state.status not in FINISHED:
            counts[(facts.case_type, state.status)] += 1
    type_order, status_order = list(CaseType.known()), list(CaseStatus)
    rows = tuple((case_type_label(case_type), status.value, STATUS_LABELS.get(status, ""), n)
                 for (case_type, status), n in sorted(counts.items(), key=lambda item: (
                     type_order.index(item[0][0]), status_order.index(item[0][1]))))
    columns = (Column("case_type", "类型 case type"), Column("status", "status"), Column("status_zh", "状态"),
               Column("cases", "案件数 cases", T.count))
    return Section("cases", "案件 Cases by type and status", columns, rows,
                   ("Status at the end of the period, read from the audit trail. Counted: cases submitted this "
                    "year, and cases from earlier years not yet closed or withdrawn.",))


@register_section("open-case-ageing")
def open_case_ageing(ctx: ReportContext) -> Section:
    """How long open cases (not closed, not withdrawn) have been open, per case type."""
    buckets: dict[CaseType, Counter[str]] = defaultdict(Counter)
    oldest: dict[CaseType, int] = {}
    for case_id, state in ctx.case_states.items():
        if state.status in FINISHED:
            continue
        facts = ctx.cases[case_id]
        age = ctx.days_since(facts.submitted_at)
        bucket = next(key for key, low, high in AGE_BUCKETS if age >= low and (high is None or age <= high))
        buckets[facts.case_type][bucket] += 1
        oldest[facts.case_type] = max(oldest.get(facts.case_type, 0), age)
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (case_type_label(t), *(buckets[t][key] for key, _, _ in AGE_BUCKETS), sum(buckets[t].values()), oldest[t])
        for t in CaseType.known() if t in buckets)
    columns = (Column("case_type", "类型 case type"),
               *(Column(key, f"{low}–{high} 天 days" if high is not None else f"{low}+ 天 days", T.count)
                 for key, low, high in AGE_BUCKETS),
               Column("open", "未结 open", T.count), Column("oldest_days", "最久 oldest (days)", T.count))
    return Section("open-case-ageing", "未结案件账龄 Ageing of open cases", columns, rows,
                   ("Days since submission, for cases not closed or withdrawn at the end of the period "
                    "(rejected and paid cases count until they are closed).",))


def approval_wait_limit(ctx: ReportContext, case_type: CaseType) -> tuple[int, str]:
    if ctx.approval_wait_days is not None:
        return ctx.approval_wait_days, "set for this report"
    limit = APPROVAL_WAIT_LIMITS.get(case_type)
    if limit is not None:
        return limit(ctx)
    return DEFAULT_APPROVAL_WAIT_DAYS, "default (the policy has no setting for it)"


@register_section("approval-waits")
def approval_waits(ctx: ReportContext) -> Section:
    """Cases awaiting an approval decision for longer than their case type allows, longest first."""
    rows: list[tuple[Cell, ...]] = []
    limits_used: dict[CaseType, tuple[int, str]] = {}
    for case_id, state in ctx.case_states.items():
        if state.status is not CaseStatus.awaiting_approval:
            continue
        facts = ctx.cases[case_id]
        limit, source = limits_used.setdefault(facts.case_type, approval_wait_limit(ctx, facts.case_type))
        if ctx.age_reference - state.since <= timedelta(days=limit):
            continue
        rows.append((facts.case_number, case_type_label(facts.case_type), facts.category, facts.unit_code,
                     ctx.local(state.since).date(), ctx.days_since(state.since), limit,
                     ctx.approvals_recorded.get(case_id, 0)))
    rows.sort(key=lambda row: (-int(cast(int, row[5])), str(row[0])))  # row[5]: days waiting
    columns = (Column("case_number", "案件编号 case"), Column("case_type", "类型 case type"),
               Column("category", "类别 category"), Column("unit", "单位 unit"),
               Column("waiting_since", "待审批起 waiting since", T.date),
               Column("days_waiting", "已等待天数 days waiting", T.count),
               Column("limit_days", "时限 limit (days)", T.count),
               Column("approvals", "已有审批 approvals so far", T.count))
    limits = "; ".join(f"{case_type_label(t)}: {days} days, {source}" for t, (days, source) in limits_used.items())
    notes = (f"Listed when a case has waited for its approval decision longer than the limit ({limits or 'none waiting'}; "
             f"default {DEFAULT_APPROVAL_WAIT_DAYS} calendar days). Approvals so far: a case above the two-approver "
             "threshold waits for a second, different approver after the first.",)
    return Section("approval-waits", "超时待审批 Approvals waiting too long", columns, tuple(rows), notes)


@register_section("open-payouts")
def open_payouts(ctx: ReportContext) -> Section:
    """Payouts not finished at the end of the period: outcome unknown first, then by reference."""
    order = {PayoutStatus.unknown: 0, PayoutStatus.submitted: 1, PayoutStatus.prepared: 2}
    items = sorted(ctx.open_payouts(), key=lambda p: (order[p.status], p.reference))
    rows = tuple((p.reference, p.case_number, PAYOUT_STATUS_LABELS[p.status], p.amount_fen, ctx.local(p.since).date(),
                  ctx.days_since(p.since)) for p in items)
    columns = (Column("reference", "支付参考号 reference"), Column("case_number", "案件编号 case"),
               Column("status", "状态 status"), Column("amount", "金额 amount", T.yuan),
               Column("since", "起 since", T.date), Column("days", "天数 days", T.count))
    unknown = sum(1 for p in items if p.status is PayoutStatus.unknown)
    return Section("open-payouts", "未完成支付 Open payouts", columns, rows,
                   (f"{unknown} payout(s) with an unknown outcome: the provider may or may not have paid. The "
                    "resolver asks the provider every 5 minutes; one unknown for more than a day needs a look "
                    "(`unionaid payouts resolve`). Never pay such a case again by hand.",))


# --- reconciliation ---------------------------------------------------------------------------------------


@register_section("reconciliation")
def reconciliation(ctx: ReportContext) -> Section:
    """The month's latest reconciliation version, as it stands now (it runs after the month ends)."""
    columns = (Column("item", "项目 item"), Column("value", "数值 value", T.count))
    run = ctx.reconciliation
    if run is None:
        return Section("reconciliation", "对账 Reconciliation", columns, (),
                       (f"{ctx.month} has not been reconciled yet (it runs at 03:00 on the 1st of the next month).",))
    classes = [c.value for c in DiscrepancyClass] + [UNPAID_NOT_AT_PROVIDER, OTHER_MONTH]
    rows: list[tuple[Cell, ...]] = [(VERSION, run.version), ("statement lines 对账单行数", run.statement_lines),
                                    ("payouts counted 本方支付笔数", run.payouts_counted)]
    rows += [(f"{name}", run.counts.get(name, 0)) for name in classes]
    rows += [(name, n) for name, n in sorted(run.counts.items()) if name not in classes]
    rows += [(OPEN_EXCEPTIONS, run.open_exceptions), ("critical open 严重差异", run.critical_open),
             (SIGNED_OFF_BY, run.signed_off_by or "not yet 未签核")]
    return Section("reconciliation", "对账 Reconciliation", columns, tuple(rows),
                   ("The latest version of the month's reconciliation at the time the report was built. "
                    "Exception items are listed in the reconciliation artifacts and `unionaid reconcile exceptions`.",))

