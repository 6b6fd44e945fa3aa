"""Payouts: money leaving the federation for one outgoing obligation of a case, exactly once.

Rules kept:
- A payout row exists, with its deterministic reference, **before** anything is sent.
- States: prepared → submitted → succeeded | failed | unknown; unknown → succeeded | failed |
  submitted (re-sent with the same reference). Only a definite failure from the provider ends
  a payout as failed and lets a new attempt (a new reference) begin.
- At most one live (not failed) payout per obligation: ``live_obligation_id`` equals
  ``obligation_id`` until the payout fails, then NULL, under a UNIQUE constraint. A case with
  several outgoing obligations has several payouts, each paid once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.move_table import move_table
from models.time import utcnow


class PayoutStatus(StrEnum):
    prepared = "prepared"
    submitted = "submitted"
    succeeded = "succeeded"
    failed = "failed"
    unknown = "unknown"


P = PayoutStatus
# Allowed payout moves, with the audit action each one writes.
PAYOUT_TRANSITIONS: dict[tuple[PayoutStatus, PayoutStatus], str] = move_table(
    "payout",
    (P.prepared, P.submitted, "payout_submitted"),
    (P.submitted, P.submitted, "payout_resent"),
    (P.submitted, P.succeeded, "payout_succeeded"),
    (P.submitted, P.failed, "payout_failed"),
    (P.submitted, P.unknown, "payout_outcome_unknown"),
    (P.unknown, P.submitted, "payout_resent"),
    (P.unknown, P.succeeded, "payout_succeeded"),
    (P.unknown, P.failed, "payout_failed"),
    (P.unknown, P.unknown, "payout_still_unknown"),
)
OPEN_STATUSES = (P.prepared, P.submitted, P.unknown)


def payout_reference(case_number: str, attempt: int, seq: int = 1) -> str:
    """Deterministic: the same case, obligation and attempt always give the same provider
    reference. A case's first obligation is paid as ``<case>-P<attempt>`` (a case with one
    payment keeps the references it always had), its others as ``<case>-O<seq>-P<attempt>``."""
    return f"{case_number}-P{attempt}" if seq == 1 else f"{case_number}-O{seq}-P{attempt}"


def outcome(statuses: Iterable[PayoutStatus]) -> PayoutStatus:
    """One word for a case's payouts: succeeded when all did, else the first that did not."""
    return next((status for status in statuses if status != PayoutStatus.succeeded), PayoutStatus.succeeded)


def obligation_key(reference: str) -> str:
    """What a reference pays, without its attempt: ``<case>`` for the first obligation, else ``<case>-O<seq>``."""
    return reference.rsplit("-P", 1)[0]


class Payout(SQLModel, table=True):
    __tablename__ = "payout"
    __table_args__ = (
        UniqueConstraint("obligation_id", "attempt", name="uq_payout_obligation_attempt"),
        UniqueConstraint("live_obligation_id", name="uq_payout_one_live_per_obligation"),
        CheckConstraint("amount_fen > 0", name="ck_payout_amount_positive"),
        CheckConstraint("attempt >= 1", name="ck_payout_attempt_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    live_obligation_id: int | None = Field(default=None, foreign_key="obligation.id")
    attempt: int = 1
    reference: str = Field(unique=True, index=True, max_length=64)
    amount_fen: int
    payee_name: str = Field(max_length=100)
    bank_account_enc: str = Field(max_length=400)
    bank_account_masked: str = Field(max_length=19)
    status: PayoutStatus = enum_field(PayoutStatus, index=True)
    provider_id: str | None = Field(default=None, max_length=64)
    failure_reason: str | None = Field(default=None, max_length=400)
    last_error: str | None = Field(default=None, max_length=400)
    send_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
