"""Assistance pairings and employment help in the monthly report: the plan measures they count
and a section with the month's and the year's figures.

- measure ``pairings``: pairings (帮扶结对) in force at any time in the plan year, up to the day
  the report is as at;
- measures ``trained`` and ``reemployed``: distinct members with a training completed, or a
  re-employment, dated in the plan year up to that day;
- section ``assistance``: the same, with job referrals (春送岗位) and pairing visits, for the
  month and the year to date. Counts only: no names, no notes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import col

from models.assistance import (
    EMPLOYMENT_LABELS,
    EmploymentKind,
    EmploymentRecord,
    Pairing,
    PairingVisit,
    in_force_during,
    pairings_in_year,
    people_in_year,
)
from services.reports.context import ReportContext
from services.reports.model import Cell, Column, ColumnType, Section
from services.reports.registry import register_measure, register_section


def _pairing_days(ctx: ReportContext) -> list[tuple[date, date | None]]:
    return [(start, end) for start, end in ctx.session.execute(select(col(Pairing.started_on), col(Pairing.ended_on)))]


def _records(ctx: ReportContext, kind: EmploymentKind) -> list[tuple[int, date]]:
    return [(member, day) for member, day in ctx.session.execute(
        select(col(EmploymentRecord.member_id), col(EmploymentRecord.happened_on))
        .where(col(EmploymentRecord.kind) == kind))]


@register_measure("pairings")
def pairings(ctx: ReportContext, argument: str | None) -> int:
    return pairings_in_year(_pairing_days(ctx), ctx.year, ctx.last_day)


@register_measure("trained")
def trained(ctx: ReportContext, argument: str | None) -> int:
    return people_in_year(_records(ctx, EmploymentKind.training), ctx.year, ctx.last_day)


@register_measure("reemployed")
def reemployed(ctx: ReportContext, argument: str | None) -> int:
    return people_in_year(_records(ctx, EmploymentKind.reemployed), ctx.year, ctx.last_day)


@register_section("assistance")
def assistance(ctx: ReportContext) -> Section:
    last = ctx.last_day
    month_first, year_first = last.replace(day=1), date(ctx.year, 1, 1)
    days = _pairing_days(ctx)
    visits = list(ctx.session.execute(select(col(PairingVisit.visited_on))).scalars())
    rows: list[tuple[Cell, ...]] = [
        ("帮扶结对 pairings in force", sum(in_force_during(s, e, month_first, last) for s, e in days),
         sum(in_force_during(s, e, year_first, last) for s, e in days)),
        ("走访 pairing visits", sum(month_first <= v <= last for v in visits),
         sum(year_first <= v <= last for v in visits)),
    ]
    for kind in EmploymentKind:
        records = _records(ctx, kind)
        rows.append((f"{EMPLOYMENT_LABELS[kind]} (people)", people_in_year(
            [(m, d) for m, d in records if d >= month_first], ctx.year, last), people_in_year(records, ctx.year, last)))
    columns = (Column("measure", "项目 measure"), Column("month", "本月 this month", ColumnType.count),
               Column("ytd", "本年 year to date", ColumnType.count))
    return Section("assistance", "帮扶结对与就业帮扶 Pairings and employment help", columns, tuple(rows),
                   ("A pairing counts in a period when it was in force on any day of it; a person trained or "
                    "re-employed twice counts once.",))
