"""The public notice (公示) of one case that came in outside a campaign.

A category the policy puts on notice (``PolicyVersion.public_notice``: student aid in the
sample) is approved only after a notice of N working days has ended, whichever way the case
came in. A campaign's cases are listed in the campaign's notice (``models.campaigns``); every
other such case gets a notice of its own when verification passes, recorded here. Anyone may
object while it runs; staff record the objection, and the approver sees it before deciding.

Rules kept here (pure): the notice is over only after its last day (``ends_on`` is inclusive);
an objection is recorded only while it runs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


class CaseNotice(SQLModel, table=True):
    """A case's own notice: its days, the policy version that set them, and the objections to it."""

    __tablename__ = "case_notice"

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    starts_on: date
    ends_on: date  # the last day of the notice, itself a working day
    working_days: int
    policy_version: str = Field(max_length=40)
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    objections: int = 0
    objection_text: str | None = Field(default=None, sa_type=Text)  # encrypted, like an application's reason


def notice_refusal(case_number: str, notice: CaseNotice, today: date) -> str | None:
    """Why the case may not be approved yet because of its notice, or None."""
    if today <= notice.ends_on:
        return (f"case {case_number} is on public notice until {notice.ends_on.isoformat()}: approve it once the "
                "notice has ended")
    return None


def objection_refusal(case_number: str, notice: CaseNotice, today: date) -> str | None:
    """Why an objection cannot be recorded against the case's notice now, or None."""
    if today < notice.starts_on:
        return f"the public notice of {case_number} starts on {notice.starts_on.isoformat()}"
    if today > notice.ends_on:
        return (f"the public notice of {case_number} ended on {notice.ends_on.isoformat()}; the approver may still "
                "reject the case")
    return None
