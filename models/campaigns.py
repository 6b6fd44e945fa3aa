"""Campaigns: many hardship cases decided and paid as one batch (金秋助学, 冬送温暖, 夏送清凉).

A campaign groups cases of one category and year. What differs between kinds is data
(``KIND_RULES``): whether a public notice (公示) comes before approval, and so which statuses a
campaign passes through. A campaign moves only along ``CAMPAIGN_TRANSITIONS``; each move is a
guarded update with its audit event (``services.campaigns``).

    student_aid:               open → notice → approving → paying → done
    winter_relief / summer_relief: open →         approving → paying → done

- open: cases are attached and verified.
- notice: the public notice runs from ``notice_starts_on`` to ``notice_ends_on`` (both
  inclusive, Chinese working days); objections are recorded against listed cases.
- approving: the campaign's approver decides every listed case without an objection.
- paying: approved cases are paid; a case decided later by a person is paid by the next run.
- done: every case of the batch is finished (paid and closed, rejected or withdrawn).

Rules kept here (pure, no I/O):
- The notice lasts N working days of the Chinese statutory calendar (``models.working_days``).
- A case joins a campaign once (UNIQUE case), and one application per applicant and per
  household joins a campaign (no double aid in a year).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import CheckConstraint, Column, DateTime, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.errors import InputError
from models.move_table import move_table
from models.policy import Category
from models.time import utcnow

T = TypeVar("T")


class CampaignKind(StrEnum):
    student_aid = "student_aid"  # 金秋助学
    winter_relief = "winter_relief"  # 冬送温暖
    summer_relief = "summer_relief"  # 夏送清凉

    @property
    def category(self) -> Category:
        return Category(self.value)


class CampaignStatus(StrEnum):
    open = "open"
    notice = "notice"
    approving = "approving"
    paying = "paying"
    done = "done"


class ObjectionStatus(StrEnum):
    open = "open"  # recorded; the case waits for a person's decision
    upheld = "upheld"  # the case was rejected or withdrawn
    dismissed = "dismissed"  # the case was approved after all


@dataclass(frozen=True)
class KindRules:
    public_notice: bool  # 公示 before approval
    from_registered_households: bool  # cases made from the hardship-household register, not applications


KIND_RULES: dict[CampaignKind, KindRules] = {
    CampaignKind.student_aid: KindRules(public_notice=True, from_registered_households=False),
    CampaignKind.winter_relief: KindRules(public_notice=False, from_registered_households=True),
    CampaignKind.summer_relief: KindRules(public_notice=False, from_registered_households=True),
}

S = CampaignStatus
# Allowed campaign moves, with the audit action each one writes.
CAMPAIGN_TRANSITIONS: dict[tuple[CampaignStatus, CampaignStatus], str] = move_table(
    "campaign",
    (S.open, S.notice, "campaign_notice_opened"),
    (S.notice, S.approving, "campaign_notice_closed"),
    (S.open, S.approving, "campaign_cases_ready"),
    (S.approving, S.paying, "campaign_batch_approved"),
    (S.paying, S.done, "campaign_done"),
)


def campaign_move_refusal(kind: CampaignKind, frm: CampaignStatus, to: CampaignStatus) -> str | None:
    """Why a campaign of this kind may not move from ``frm`` to ``to``, or None."""
    if (frm, to) not in CAMPAIGN_TRANSITIONS:
        return f"a campaign cannot move from {frm.value} to {to.value}"
    notice = KIND_RULES[kind].public_notice
    if notice and (frm, to) == (S.open, S.approving):
        return f"{kind.value} needs a public notice before approval"
    if not notice and S.notice in (frm, to):
        return f"{kind.value} has no public notice"
    return None


CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def default_code(kind: CampaignKind, year: int) -> str:
    """``student-aid-2026``: readable, and usable as part of a Prefect artifact key."""
    return f"{kind.value.replace('_', '-')}-{year}"


def check_code(code: str) -> str:
    cleaned = code.strip().lower()
    if not CODE_PATTERN.match(cleaned):
        raise InputError("code", "use 3-40 lowercase letters, digits and dashes, e.g. student-aid-2026")
    return cleaned


def artifact_key(code: str) -> str:
    """The stable key of a campaign's summary artifact: ``campaign-student-aid-2026``."""
    return f"campaign-{code}"


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items (a flow maps one task over each)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


# --- tables ----------------------------------------------------------------------------------


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("version >= 1", name="ck_campaign_version_positive"),
        CheckConstraint("notice_ends_on IS NULL OR notice_ends_on >= notice_starts_on", name="ck_campaign_notice_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=40)
    kind: CampaignKind = enum_field(CampaignKind)
    year: int
    status: CampaignStatus = enum_field(CampaignStatus, default=CampaignStatus.open)
    opened_on: date  # Asia/Shanghai; seasonal cases are dated by it and their amounts follow the policy on it
    approver: str = Field(max_length=32, description="staff number of the approver who decides the batch")
    caseworker: str = Field(max_length=32, description="staff number of the caseworker who submits the cases")
    notice_starts_on: date | None = None
    notice_ends_on: date | None = None  # the last day of the notice (inclusive)
    notice_working_days: int | None = None
    notice_policy_version: str | None = Field(default=None, max_length=40)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class CampaignCase(SQLModel, table=True):
    """A case in a campaign, with what the notice period recorded about it."""

    __tablename__ = "campaign_case"
    __table_args__ = (
        UniqueConstraint("case_id", name="uq_campaign_case_case"),
        UniqueConstraint("campaign_id", "member_id", name="uq_campaign_case_member"),
        UniqueConstraint("campaign_id", "household_id", name="uq_campaign_case_household"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    case_id: int = Field(foreign_key="case.id")
    member_id: int = Field(foreign_key="member.id")
    household_id: int | None = Field(default=None, foreign_key="household.id")
    listed_in_notice: bool = False
    # The public notice this case was listed in: the campaign's, or a supplementary one for a
    # case verified after the campaign's notice opened. Approved only once it has ended.
    notice_starts_on: date | None = None
    notice_ends_on: date | None = None
    notice_ended: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    objection_text: str | None = Field(default=None, sa_type=Text)  # encrypted, like an application's reason
    objection_recorded_by: str | None = Field(default=None, max_length=32)
    objection_recorded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    objection_status: ObjectionStatus | None = enum_field(ObjectionStatus, default=None, nullable=True)
    batch_refusal: str | None = Field(default=None, max_length=1000, description="why the batch approval was refused")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
