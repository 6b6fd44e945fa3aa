"""Hardship aid (困难职工帮扶) in the monthly report: its own section and the plan measure it can count.

- section ``hardship-aid``: per aid category, the cases paid and the money paid in the month and
  in the year to date (the 金秋助学 row gives the student-aid numbers);
- measure ``students_funded``: the students of the student-aid cases paid in the plan year (a
  case for several students of one household counts each; "paid" is money settled to a
  programme's paid account, net).

Mediation and mutual insurance add their sections and measures in modules like this one once
their data exists; until then the report shows nothing for them and their targets say "no data".
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlmodel import col

from models.cases import HardshipDetail
from models.enums import CaseType
from models.policy import Category
from services.reports.context import ReportContext
from services.reports.model import Cell, Column, ColumnType, Section
from services.reports.registry import register_measure, register_section

CATEGORY_LABELS = {
    Category.living_relief: "生活救助 living relief",
    Category.medical_relief: "医疗救助 medical relief",
    Category.student_aid: "金秋助学 student aid",
    Category.winter_relief: "冬送温暖 winter relief",
    Category.summer_relief: "夏送清凉 summer relief",
    Category.emergency_relief: "临时救助 emergency relief",
}


def _paid_per_case(ctx: ReportContext, *, month_only: bool) -> dict[int, int]:
    """Net money settled per hardship case in the month (or the year to date)."""
    paid: Counter[int] = Counter()
    for line in ctx.paid_lines:
        if line.case_id is None or (month_only and not ctx.in_month(line.posted_at)):
            continue
        facts = ctx.cases.get(line.case_id)
        if facts is not None and facts.case_type is CaseType.hardship:
            paid[line.case_id] += line.amount_fen
    return {case_id: amount for case_id, amount in paid.items() if amount > 0}


@register_measure("students_funded")
def students_funded(ctx: ReportContext, argument: str | None) -> int:
    """Students, not cases: a case for a household's several students counts each of them."""
    paid = [case_id for case_id in _paid_per_case(ctx, month_only=False)
            if ctx.cases[case_id].category == Category.student_aid.value]
    if not paid:
        return 0
    facts = dict(ctx.session.execute(select(col(HardshipDetail.case_id), col(HardshipDetail.facts))
                                     .where(col(HardshipDetail.case_id).in_(paid))).all())
    return sum(len((facts.get(case_id) or {}).get("students") or [None]) for case_id in paid)


@register_section("hardship-aid", case_type=CaseType.hardship)
def hardship_aid(ctx: ReportContext) -> Section:
    month, year = _paid_per_case(ctx, month_only=True), _paid_per_case(ctx, month_only=False)
    categories: list[str] = [c.value for c in Category]
    known = set(categories)
    categories += sorted({ctx.cases[i].category for i in year} - known)  # a category the policy no longer lists
    rows: list[tuple[Cell, ...]] = []
    for category in categories:
        in_month = [a for i, a in month.items() if ctx.cases[i].category == category]
        in_year = [a for i, a in year.items() if ctx.cases[i].category == category]
        label = CATEGORY_LABELS.get(Category(category), category) if category in known else category
        rows.append((label, len(in_month), sum(in_month), len(in_year), sum(in_year)))
    rows.append(("合计 all", len(month), sum(month.values()), len(year), sum(year.values())))
    columns = (Column("category", "类别 category"),
               Column("cases_month", "本月支付案件 cases paid this month", ColumnType.count),
               Column("paid_month", "本月支付 paid this month", ColumnType.yuan),
               Column("cases_ytd", "本年支付案件 cases paid year to date", ColumnType.count),
               Column("paid_ytd", "本年支付 paid year to date", ColumnType.yuan))
    return Section("hardship-aid", "困难职工帮扶 Hardship aid by category", columns, tuple(rows),
                   ("Cases whose payout settled in the period, by aid category; each 金秋助学 case is one student "
                    "(the plan's students-funded target counts the year's).",), case_type=CaseType.hardship.value)
