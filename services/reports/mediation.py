"""Labour-dispute mediation (劳动争议调解) in the monthly report: one row per mediation body (a
station, the district committee), and one per dispute type.

- received: applications received in the month (the day the body received them);
- accepted in time / late: accepted in the month within the 3 working days of its acceptance
  clock, or after it ran out; declined: declined in writing in the month;
- agreements and referrals: mediation that ended in the month with an effective agreement, or with
  a referral to arbitration (a failure, or the 15-day clock); the success rate is agreements out of
  both;
- agreed: the employer's payments under the month's agreements; paid: what the body recorded as
  paid to workers in the month; overdue: payments under agreements still unpaid after their day,
  as at the report's last day; advances outstanding: what employers still owe back on the union's
  wage advances (not written off).

Counts and amounts only: no names, no ID numbers, no reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import col

from models.audit import AuditEvent
from models.clocks import Deadline
from models.enums import CaseType
from models.mediation import AgreementPayment, MediationDetail, WageAdvance
from models.obligations import Direction, Obligation, ObligationState, Receipt
from models.time import as_utc
from services.reports.context import ReportContext
from services.reports.model import Cell, Column, ColumnType, Section
from services.reports.registry import register_section

ENDED_BY_REFERRAL = ("refer_to_arbitration", "mediation_deadline_passed")
DISPUTE_LABELS = {"unpaid_wages": "拖欠工资 unpaid wages", "termination": "解除合同 termination",
                  "work_injury": "工伤 work injury", "social_insurance": "社会保险 social insurance",
                  "overtime": "加班 overtime", "other": "其他 other"}


@dataclass
class Tally:
    received: int = 0
    in_time: int = 0
    late: int = 0
    declined: int = 0
    agreements: int = 0
    referred: int = 0
    agreed_fen: int = 0
    paid_fen: int = 0
    overdue: int = 0
    advanced_fen: int = 0

    def success(self) -> Decimal | None:
        ended = self.agreements + self.referred
        return Decimal(self.agreements) / Decimal(ended) if ended else None

    def row(self, label: str) -> tuple[Cell, ...]:
        return (label, self.received, self.in_time, self.late, self.declined, self.agreements, self.referred,
                self.success(), self.agreed_fen, self.paid_fen, self.overdue, self.advanced_fen)


COLUMNS = (Column("group", "调解组织/类型 body or dispute type"),
           Column("received", "本月收到 received", ColumnType.count),
           Column("accepted_in_time", "3个工作日内受理 accepted in time", ColumnType.count),
           Column("accepted_late", "逾期受理 accepted late", ColumnType.count),
           Column("declined", "不予受理 declined", ColumnType.count),
           Column("agreements", "达成协议 agreements", ColumnType.count),
           Column("referred", "转仲裁 referred to arbitration", ColumnType.count),
           Column("success", "调解成功率 success rate", ColumnType.percent),
           Column("agreed", "协议金额 agreed", ColumnType.yuan),
           Column("paid", "本月履行 paid", ColumnType.yuan),
           Column("overdue", "逾期未履行 payments overdue", ColumnType.count),
           Column("advances_outstanding", "垫付待追偿 advances outstanding", ColumnType.yuan))


def _tallies(ctx: ReportContext) -> tuple[dict[str, Tally], dict[str, Tally]]:
    mediation = {i: f for i, f in ctx.cases.items() if f.case_type is CaseType.mediation}
    by_body: dict[str, Tally] = {}
    by_type: dict[str, Tally] = {}
    if not mediation:
        return by_body, by_type
    ids = list(mediation)

    def both(case_id: int) -> tuple[Tally, Tally]:
        facts = mediation[case_id]
        return by_body.setdefault(facts.unit_code, Tally()), by_type.setdefault(facts.category, Tally())

    first, last = ctx.local(ctx.month_start).date(), ctx.last_day
    for case_id, received in ctx.session.execute(select(col(MediationDetail.case_id), col(MediationDetail.received_on))
                                                 .where(col(MediationDetail.case_id).in_(ids))):
        if first <= received <= last:
            for tally in both(case_id):
                tally.received += 1
    acceptance_due = dict(ctx.session.execute(select(col(Deadline.case_id), col(Deadline.due_on)).where(
        col(Deadline.case_id).in_(ids), col(Deadline.kind) == "acceptance")).all())
    agreed = Counter[int]()
    for case_id, amount in ctx.session.execute(select(col(AgreementPayment.case_id), col(AgreementPayment.amount_fen))
                                               .where(col(AgreementPayment.case_id).in_(ids))):
        agreed[case_id] += int(amount)
    events = ctx.session.execute(
        select(col(AuditEvent.case_id), col(AuditEvent.action), col(AuditEvent.occurred_at), col(AuditEvent.payload))
        .where(col(AuditEvent.case_id).in_(ids), col(AuditEvent.occurred_at) >= ctx.month_start,
               col(AuditEvent.occurred_at) < ctx.as_at,
               col(AuditEvent.action).in_(("accept_mediation", "decline_mediation", "record_agreement",
                                           "employer_payment_recorded", *ENDED_BY_REFERRAL)))
        .order_by(col(AuditEvent.seq)))
    for case_id, action, occurred_at, payload in events:
        for tally in both(case_id):
            if action == "accept_mediation":
                due = acceptance_due.get(case_id)
                if due is not None and ctx.local(occurred_at).date() <= due:
                    tally.in_time += 1
                else:
                    tally.late += 1
            elif action == "decline_mediation":
                tally.declined += 1
            elif action == "record_agreement":
                tally.agreements += 1
                tally.agreed_fen += agreed[case_id]
            elif action == "employer_payment_recorded":
                tally.paid_fen += int((payload or {}).get("amount_fen", 0))
            else:
                tally.referred += 1
    for case_id, paid_on in ctx.session.execute(
            select(col(AgreementPayment.case_id), col(AgreementPayment.paid_on))
            .where(col(AgreementPayment.case_id).in_(ids), col(AgreementPayment.due_on) < last)):
        if paid_on is None or paid_on > last:
            for tally in both(case_id):
                tally.overdue += 1
    _advances(ctx, ids, both)
    return by_body, by_type


def _advances(ctx: ReportContext, ids: list[int], both: Callable[[int], tuple[Tally, Tally]]) -> None:
    """What employers still owe on the union's wage advances, as at the report's end: each
    advance's repayment less the receipts recorded before then (a write-off ends it)."""
    owed = ctx.session.execute(
        select(col(WageAdvance.mediation_case_id), col(Obligation.id), col(Obligation.amount_fen),
               col(Obligation.state), col(Obligation.settled_at))
        .join(Obligation, col(Obligation.case_id) == WageAdvance.case_id)
        .where(col(WageAdvance.mediation_case_id).in_(ids), col(Obligation.direction) == Direction.incoming,
               col(Obligation.opened_at) < ctx.as_at)).all()
    if not owed:
        return
    received = Counter[int]()
    for obligation_id, amount in ctx.session.execute(
            select(col(Receipt.obligation_id), col(Receipt.amount_fen))
            .where(col(Receipt.obligation_id).in_([row[1] for row in owed]), col(Receipt.recorded_at) < ctx.as_at)):
        received[obligation_id] += int(amount)
    for mediation_id, obligation_id, amount, state, settled_at in owed:
        if state == ObligationState.cancelled and settled_at is not None and as_utc(settled_at) < ctx.as_at:
            continue  # written off
        left = int(amount) - received[obligation_id]
        if left > 0:
            for tally in both(mediation_id):
                tally.advanced_fen += left


def _total(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for tally in tallies.values():
        for name in ("received", "in_time", "late", "declined", "agreements", "referred", "agreed_fen", "paid_fen",
                     "overdue", "advanced_fen"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
    return total


@register_section("mediation", case_type=CaseType.mediation)
def mediation(ctx: ReportContext) -> Section | None:
    by_body, by_type = _tallies(ctx)
    if not by_body:
        return None
    rows = [by_body[unit].row(unit) for unit in sorted(by_body)]
    rows.append(_total(by_body).row("合计 all bodies"))
    rows += [by_type[kind].row(DISPUTE_LABELS.get(kind, kind)) for kind in sorted(by_type)]
    return Section("mediation", "劳动争议调解 Labour-dispute mediation by body and dispute type", COLUMNS, tuple(rows),
                   ("The rows above the total are the mediation bodies (unit codes); those after it the dispute "
                    "types. Accepted in time: within the 3 working days of receipt. The success rate is "
                    "agreements out of the mediations that ended in the month (agreements and referrals).",),
                   case_type=CaseType.mediation.value)
