"""Payment obligations: what a case owes or is owed, to or from whom, from which fund, by when.

A case may carry several: a mediation case pays a wage advance to the worker (``out``) and is
owed its repayment by the employer (``in``, a receivable); an insurance claim may pay its
benefit in parts. Each row names its party by number or unit code, never by an ID number.

- ``out``: paid by the payout protocol (``services.payouts``); see docs/architecture.md for how
  obligations and payouts meet.
- ``in``: a receivable. Opening it posts receivable +X / recoveries −X; each receipt against it
  posts available +X / receivable −X, so the fund's available money grows only when the money
  is in. A receipt carries the payer's transfer reference, which is unique: the same receipt
  recorded twice is one receipt.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.columns import timestamp_field as _ts
from models.money import format_fen


class Direction(StrEnum):
    outgoing = "out"
    incoming = "in"


class Party(StrEnum):
    member = "member"
    beneficiary = "beneficiary"
    employer = "employer"
    worker = "worker"  # the worker of a mediation case, who need not be a member: named by the case number


class ObligationState(StrEnum):
    open = "open"
    settled = "settled"
    cancelled = "cancelled"


class Obligation(SQLModel, table=True):
    __tablename__ = "obligation"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_obligation_case_seq"),
        CheckConstraint("amount_fen > 0", name="ck_obligation_amount_positive"),
        CheckConstraint("settled_fen >= 0 AND settled_fen <= amount_fen", name="ck_obligation_settled_within"),
        CheckConstraint("seq >= 1", name="ck_obligation_seq_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    seq: int
    direction: Direction = enum_field(Direction)
    party: Party = enum_field(Party)
    party_ref: str = Field(max_length=40)
    purpose: str = Field(max_length=60)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    amount_fen: int
    settled_fen: int = 0
    due_on: date | None = Field(default=None, index=True)
    state: ObligationState = enum_field(ObligationState, index=True)
    opened_at: datetime = _ts()
    settled_at: datetime | None = _ts(nullable=True)

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.settled_fen


class Receipt(SQLModel, table=True):
    """Money received against an incoming obligation, under the payer's transfer reference."""

    __tablename__ = "obligation_receipt"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="ck_receipt_amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    reference: str = Field(max_length=60, unique=True)
    amount_fen: int
    received_on: date
    recorded_by: str = Field(max_length=40)
    recorded_at: datetime = _ts()


def receipt_refusal(obligation: Obligation, amount_fen: int) -> tuple[str, str] | None:
    """Why this receipt cannot be recorded against ``obligation``, as (field, problem); None when it can."""
    if obligation.direction != Direction.incoming:
        return "obligation", "is one we pay, not one we are owed"
    if obligation.state != ObligationState.open:
        return "obligation", f"is {obligation.state.value}: nothing more is owed"
    if amount_fen <= 0:
        return "amount", "must be more than zero"
    if amount_fen > obligation.outstanding_fen:
        return "amount", (f"{format_fen(amount_fen)} is more than the {format_fen(obligation.outstanding_fen)} "
                          "still owed")
    return None
