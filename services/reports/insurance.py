"""The mutual-insurance measures and section of the monthly report, read from the insurance tables.

``insurance_covered:<product>``: the members with cover in the product on any day of the plan year
(counted from enrolment, as the plan counts people covered).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.insurance import InsuranceEnrolment
from services.reports.context import ReportContext
from services.reports.registry import register_measure


def covered_people(session: Session, product: str, year: int) -> int:
    """Members with cover in ``product`` on any day of ``year``."""
    return int(session.execute(select(func.count(func.distinct(InsuranceEnrolment.member_id))).where(
        col(InsuranceEnrolment.product) == product, col(InsuranceEnrolment.cover_from) <= date(year, 12, 31),
        col(InsuranceEnrolment.cover_to) >= date(year, 1, 1))).scalar_one())


@register_measure("insurance_covered")
def insurance_covered(ctx: ReportContext, argument: str | None) -> int | None:
    return covered_people(ctx.session, argument, ctx.year) if argument else None
