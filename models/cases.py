"""Cases: one table for what every case type shares, detail tables per type, and what hangs
off a case (documents, approvals). Programmes carry the yearly budgets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import case_type_field, enum_field
from models.columns import timestamp_field as _ts
from models.enums import CaseStatus, CaseType, Decision


class Case(SQLModel, table=True):
    __tablename__ = "case"
    __table_args__ = (
        CheckConstraint("requested_fen >= 0", name="ck_case_requested_nonneg"),
        CheckConstraint("approved_fen IS NULL OR approved_fen >= 0", name="ck_case_approved_nonneg"),
        CheckConstraint("paid_fen >= 0", name="ck_case_paid_nonneg"),
        CheckConstraint("version >= 1", name="ck_case_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_number: str = Field(unique=True, index=True, max_length=20)
    case_type: CaseType = case_type_field(index=True)
    category: str = Field(max_length=40)
    status: CaseStatus = enum_field(CaseStatus, index=True)
    # The member who applies; none for a mediation case of a worker who is not a member.
    applicant_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id")
    requested_fen: int = 0
    approved_fen: int | None = None
    paid_fen: int = 0
    submitted_by_staff_id: int = Field(foreign_key="staff.id")
    submitted_at: datetime = _ts()
    updated_at: datetime = _ts()
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    version: int = 1


class CaseRun(SQLModel, table=True):
    """The Prefect run that waits for a person's decision on a case, by its id: a decision made
    elsewhere (the CLI) resumes exactly this run, never one found by its name."""

    __tablename__ = "case_run"

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    flow_run_id: str = Field(max_length=36)
    waiting_since: datetime = _ts()


class CaseNumberCounter(SQLModel, table=True):
    """Hands out readable case numbers per type and year without gaps under concurrency."""

    __tablename__ = "case_number_counter"

    prefix: str = Field(primary_key=True, max_length=4)
    year: int = Field(primary_key=True)
    last_number: int = 0


class HardshipDetail(SQLModel, table=True):
    __tablename__ = "hardship_detail"

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    household_id: int | None = Field(default=None, foreign_key="household.id")
    tier_claimed: str | None = Field(default=None, max_length=20)
    causes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Free text as typed, encrypted (services.pii): it may hold health details in words.
    reason: str = Field(default="", sa_type=Text)
    oral_application: bool = False
    oral_record: str | None = Field(default=None, sa_type=Text)
    # What verification needs, as given at intake: incomes in fen, documents held, the facts
    # the tier rules read. No names and no ID numbers (see services/intake.py).
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class VerificationRecord(SQLModel, table=True):
    """A stored verification report: each rule, pass or fail and why, under which policy version."""

    __tablename__ = "verification_report"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    policy_version: str = Field(max_length=40)
    policy_fingerprint: str = Field(max_length=64)
    passed: bool
    results: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    missing_documents: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()


class Document(SQLModel, table=True):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("case_id", "sha256", name="uq_document_case_checksum"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=40)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    size_bytes: int = Field(ge=0)
    received_by_staff_id: int = Field(foreign_key="staff.id")
    received_at: datetime = _ts()


class Approval(SQLModel, table=True):
    __tablename__ = "approval"
    __table_args__ = (UniqueConstraint("case_id", "approver_staff_id", name="uq_approval_case_approver"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    decision: Decision = enum_field(Decision)
    approver_staff_id: int = Field(foreign_key="staff.id")
    level: str = Field(max_length=20)
    amount_fen: int | None = None
    reason: str = Field(sa_type=Text)  # encrypted, as the application's reason
    decided_at: datetime = _ts()


class Programme(SQLModel, table=True):
    """An assistance programme with a budget for one year (e.g. 金秋助学 2026)."""

    __tablename__ = "programme"
    __table_args__ = (
        UniqueConstraint("code", "year", name="uq_programme_code_year"),
        CheckConstraint("budget_fen >= 0", name="ck_programme_budget_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    case_type: CaseType = case_type_field()
    year: int
    budget_fen: int = 0
