"""The mutual-insurance measures and section of the monthly report, read from the insurance tables.

``insurance_covered:<product>``: the members with cover in the product on any day of the plan year
(counted from enrolment, as the plan counts people covered).

The section ``insurance``, one row per product, then one per rejection code:
- covered and target: people covered this year, against the plan's target;
- contributions: paid into the product's pool by the enrolments recorded in the month;
- received: claims received in the month, and where they stand now (approved or paid, waiting for
  a reviewer, waiting for documents, rejected); reviewed: the share of the month's claims routed
  to a person (sampled, above the limit, the pool short) out of all routed;
- paid: claims paid in the month (payouts that succeeded) and their amount; days to payout: on
  average, from the day a claim was received to the day it was paid.

Counts and amounts only: no member, no diagnosis, no reasons.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases import Case
from models.enums import CaseStatus, CaseType
from models.insurance import InsuranceClaim, InsuranceEnrolment
from models.payouts import Payout, PayoutStatus
from models.plan import INSURANCE_PRODUCTS
from services.reports.context import ReportContext
from services.reports.model import Cell, Column, ColumnType, Section
from services.reports.registry import register_measure, register_section


def covered_people(session: Session, product: str, year: int) -> int:
    """Members with cover in ``product`` on any day of ``year``."""
    return int(session.execute(select(func.count(func.distinct(InsuranceEnrolment.member_id))).where(
        col(InsuranceEnrolment.product) == product, col(InsuranceEnrolment.cover_from) <= date(year, 12, 31),
        col(InsuranceEnrolment.cover_to) >= date(year, 1, 1))).scalar_one())


@register_measure("insurance_covered")
def insurance_covered(ctx: ReportContext, argument: str | None) -> int | None:
    return covered_people(ctx.session, argument, ctx.year) if argument else None


COLUMNS = (Column("group", "产品/拒付原因 product or rejection code"),
           Column("covered", "本年参保人数 covered this year", ColumnType.count),
           Column("target", "年度目标 target", ColumnType.count),
           Column("contributions", "本月缴费 contributions in", ColumnType.yuan),
           Column("received", "本月受理 claims received", ColumnType.count),
           Column("approved", "已批准或已给付 approved or paid", ColumnType.count),
           Column("awaiting_review", "待审核 awaiting a reviewer", ColumnType.count),
           Column("needs_information", "待补材料 waiting for documents", ColumnType.count),
           Column("rejected", "拒付 rejected", ColumnType.count),
           Column("reviewed_share", "人工审核比例 reviewed by a person", ColumnType.percent),
           Column("paid", "本月给付笔数 claims paid", ColumnType.count),
           Column("paid_amount", "本月给付金额 paid", ColumnType.yuan),
           Column("days_to_payout", "受理至给付平均天数 average days to payout", ColumnType.count))

APPROVED = (CaseStatus.approved, CaseStatus.payout_pending, CaseStatus.paid, CaseStatus.closed)
BY_A_PERSON = ("sampled", "above_limit", "pool_short")


def _targets(ctx: ReportContext) -> dict[str, int]:
    if ctx.plan is None or ctx.plan.year != ctx.year:
        return {}
    return {goal.measure_argument: goal.target for goal in ctx.plan.targets
            if goal.measure_name == "insurance_covered" and goal.measure_argument and goal.known
            and goal.target is not None}


@register_section("insurance", case_type=CaseType.insurance)
def insurance(ctx: ReportContext) -> Section | None:
    session = ctx.session
    first, last = ctx.local(ctx.month_start).date(), ctx.last_day
    if not session.execute(select(func.count()).select_from(InsuranceEnrolment)).scalar_one():
        return None
    targets = _targets(ctx)
    contributions = dict(session.execute(
        select(col(InsuranceEnrolment.product), func.sum(InsuranceEnrolment.contribution_fen))
        .where(col(InsuranceEnrolment.created_at) >= ctx.month_start, col(InsuranceEnrolment.created_at) < ctx.as_at)
        .group_by(col(InsuranceEnrolment.product))).all())
    received: dict[str, Counter[str]] = {}
    rejections: Counter[str] = Counter()
    for product, status, review, code in session.execute(
            select(col(InsuranceClaim.product), col(Case.status), col(InsuranceClaim.review),
                   col(InsuranceClaim.rejection_code)).join(Case, col(Case.id) == InsuranceClaim.case_id)
            .where(col(InsuranceClaim.received_on) >= first, col(InsuranceClaim.received_on) <= last)):
        tally = received.setdefault(product, Counter())
        tally["received"] += 1
        tally["approved" if status in APPROVED else status.value] += 1
        if review:
            tally["routed"] += 1
            tally["by a person"] += review in BY_A_PERSON
        if status == CaseStatus.rejected:
            rejections[code or "by a reviewer without a code"] += 1
    paid: dict[str, list[int]] = {}
    amounts: Counter[str] = Counter()
    for product, amount, received_on, paid_at in session.execute(
            select(col(InsuranceClaim.product), col(Payout.amount_fen), col(InsuranceClaim.received_on),
                   col(Payout.updated_at)).join(InsuranceClaim, col(InsuranceClaim.case_id) == Payout.case_id)
            .where(col(Payout.status) == PayoutStatus.succeeded, col(Payout.updated_at) >= ctx.month_start,
                   col(Payout.updated_at) < ctx.as_at)):
        paid.setdefault(product, []).append((ctx.local(paid_at).date() - received_on).days)
        amounts[product] += int(amount)
    rows: list[tuple[Cell, ...]] = []
    for product, name in INSURANCE_PRODUCTS.items():
        tally = received.get(product, Counter())
        days = paid.get(product, [])
        share = Decimal(tally["by a person"]) / Decimal(tally["routed"]) if tally["routed"] else None
        rows.append((f"{product} {name}", covered_people(session, product, ctx.year), targets.get(product),
                     int(contributions.get(product) or 0), tally["received"], tally["approved"],
                     tally["awaiting_approval"], tally["needs_information"], tally["rejected"], share,
                     len(days), amounts[product], round(sum(days) / len(days)) if days else None))
    rows += [(f"拒付 rejected: {code}",) + (None,) * 7 + (count,) + (None,) * 4
             for code, count in sorted(rejections.items())]
    return Section("insurance", "职工互助保障 Mutual insurance by product", COLUMNS, tuple(rows),
                   ("Received: the claims received in the month, by where they stand now. Reviewed by a person: "
                    "claims drawn for the sample, above the automatic limit or with the pool short, out of all "
                    "routed. Paid and days to payout: payouts that succeeded in the month.",),
                   case_type=CaseType.insurance.value)
