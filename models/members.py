"""Union members and hardship households.

A resident ID is never stored in clear: we keep a keyed hash (for look-ups and duplicate
checks), a masked form (for people to recognise) and a ciphertext (for the rare document that
must carry the full number, e.g. a mediation agreement). Gender and birth date are derived
from the ID at intake.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Text
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.enums import MembershipStatus
from models.time import utcnow


class Member(SQLModel, table=True):
    __tablename__ = "member"

    id: int | None = Field(default=None, primary_key=True)
    member_number: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=100)
    resident_id_hash: str = Field(unique=True, index=True, max_length=64)
    resident_id_masked: str = Field(max_length=18)
    resident_id_enc: str = Field(max_length=400)
    gender: str = Field(max_length=1)
    birth_date: date
    mobile_masked: str | None = Field(default=None, max_length=11)
    mobile_enc: str | None = Field(default=None, max_length=400)
    bank_account_masked: str | None = Field(default=None, max_length=19)
    bank_account_enc: str | None = Field(default=None, max_length=400)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    join_date: date
    status: MembershipStatus = enum_field(MembershipStatus, default=MembershipStatus.active)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    # Fingerprint of the imported row: re-importing the same data changes nothing.
    source_fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class Household(SQLModel, table=True):
    """One file per household (一户一档)."""

    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    household_number: str = Field(unique=True, index=True, max_length=32)
    unit_id: int = Field(foreign_key="unit.id")
    hardship_tier: str | None = Field(default=None, max_length=20, description="registered tier: deep, relative, accident")
    registered_on: date | None = None
    notes: str | None = Field(default=None, max_length=1000)


class HouseholdFile(SQLModel, table=True):
    """What the household's file (建档) says beyond its tier: the family's situation, the causes of
    its hardship, its skills and its needs, as the plan asks the information system to know. The
    words are stored encrypted (they speak of health and money); the causes are the policy's names."""

    __tablename__ = "household_file"

    household_id: int = Field(primary_key=True, foreign_key="household.id")
    situation: str = Field(sa_type=Text)  # encrypted
    causes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skills: str = Field(sa_type=Text)  # encrypted
    needs: str = Field(sa_type=Text)  # encrypted
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class HouseholdMember(SQLModel, table=True):
    """A person in a household, with the monthly income counted for per-capita income."""

    __tablename__ = "household_member"
    __table_args__ = (CheckConstraint("monthly_income_fen >= 0", name="ck_household_income_nonneg"),)

    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    name: str = Field(max_length=100)
    relation: str = Field(max_length=20, description="self, spouse, child, parent, other")
    resident_id_hash: str | None = Field(default=None, max_length=64, index=True)
    monthly_income_fen: int = 0
