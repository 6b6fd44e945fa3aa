"""What the annual plan counts beyond aid paid: assistance pairings (帮扶结对) and the employment
help a member gets (春送岗位 job referrals, training, re-employment).

- A pairing joins a helper (a model worker 劳模, an entrepreneur 企业家, a unit 单位, or another
  helper) with a household of the hardship register, from a day on, with what the helper
  commits to; visits are recorded against it, and it ends on a day with a reason. The plan's
  pairings target counts the pairings in force at any time in its year.
- An employment record is one job referral, one training completed, or one re-employment of a
  member, on a day. The plan's targets count the members trained and re-employed in its year
  (a member trained twice is one person trained).

Free text (commitments, visit notes) may speak of a family's health and money: it is stored
encrypted, like an application's reason. Rules kept here (pure): the counting of the plan year.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import enum_field


class HelperKind(StrEnum):
    model_worker = "model_worker"  # 劳模
    entrepreneur = "entrepreneur"  # 企业家
    unit = "unit"  # 单位
    other = "other"  # 其他


class EmploymentKind(StrEnum):
    referral = "referral"  # 岗位推荐 (春送岗位)
    training = "training"  # 技能培训
    reemployed = "reemployed"  # 实现再就业


HELPER_LABELS = {HelperKind.model_worker: "劳模 model worker", HelperKind.entrepreneur: "企业家 entrepreneur",
                 HelperKind.unit: "单位 unit", HelperKind.other: "其他 other"}
EMPLOYMENT_LABELS = {EmploymentKind.referral: "岗位推荐 job referral", EmploymentKind.training: "技能培训 training",
                     EmploymentKind.reemployed: "实现再就业 re-employed"}


class Pairing(SQLModel, table=True):
    """帮扶结对: a helper paired with a registered hardship household."""

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    helper_kind: HelperKind = enum_field(HelperKind)
    helper_name: str = Field(max_length=100)  # the helper's or unit's name, as the plan lists them
    started_on: date
    commitments: str = Field(sa_type=Text)  # encrypted: what the helper commits to
    ended_on: date | None = None
    end_reason: str | None = Field(default=None, max_length=200)
    recorded_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PairingVisit(SQLModel, table=True):
    __tablename__ = "pairing_visit"

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    visited_on: date
    notes: str = Field(sa_type=Text)  # encrypted
    recorded_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EmploymentRecord(SQLModel, table=True):
    """One referral, training or re-employment of a member; recorded once (the same again is no new record)."""

    __tablename__ = "employment_record"
    __table_args__ = (UniqueConstraint("member_id", "kind", "happened_on", "detail", name="uq_employment_record"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: EmploymentKind = enum_field(EmploymentKind)
    happened_on: date
    detail: str = Field(max_length=200)  # the employer, job or course: no personal data
    recorded_by: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def in_force_during(started_on: date, ended_on: date | None, first: date, last: date) -> bool:
    """A pairing counts for a period when it was in force on any day of it (both ends inclusive)."""
    return started_on <= last and (ended_on is None or ended_on >= first)


def pairings_in_year(pairings: Iterable[tuple[date, date | None]], year: int, up_to: date) -> int:
    """The pairings in force at any time from 1 January of ``year`` to ``up_to``."""
    return sum(1 for start, end in pairings if in_force_during(start, end, date(year, 1, 1), up_to))


def people_in_year(records: Iterable[tuple[int, date]], year: int, up_to: date) -> int:
    """Distinct members with a record dated from 1 January of ``year`` to ``up_to``."""
    return len({member for member, day in records if date(year, 1, 1) <= day <= up_to})
