"""A double-entry ledger in fen.

A posting is a set of lines whose amounts sum to zero (checked here before writing, and by the
database when the posting is sealed: see the migration's triggers). Lines are append-only.
Positive amounts are debits. Accounts per programme and year:

    <programme>/<year>/funding    the budget's source (credit balance = the budget)
    <programme>/<year>/available  budget not yet committed
    <programme>/<year>/reserved   committed by approvals, not yet paid
    <programme>/<year>/paid       paid out
    <programme>/<year>/receivable owed to the fund (an employer repaying a wage advance)
    <programme>/<year>/recoveries the source of receivables (credit balance = all ever owed back)
    <programme>/<year>/contributions  members' contributions to a pool (credit balance = paid in)

Approve: available → reserved. Payout succeeds: reserved → paid. A definite payout failure or a
cancellation: reserved → available. A receivable opened: recoveries → receivable; received:
receivable → available. A contribution: contributions → available. Postings carry an idempotency key: the same business event
posts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from models.time import utcnow


class LedgerPosting(SQLModel, table=True):
    __tablename__ = "ledger_posting"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=120)
    kind: str = Field(max_length=40, index=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    payout_id: int | None = Field(default=None, foreign_key="payout.id")
    sealed: bool = False
    posted_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class LedgerLine(SQLModel, table=True):
    __tablename__ = "ledger_line"

    id: int | None = Field(default=None, primary_key=True)
    posting_id: int = Field(foreign_key="ledger_posting.id", index=True)
    account: str = Field(max_length=80, index=True)
    case_id: int | None = Field(default=None, index=True)
    amount_fen: int


class AccountKind(StrEnum):
    """The kinds of account every fund (programme of a year) has: accounts are data, not code."""

    funding = "funding"
    available = "available"
    reserved = "reserved"
    paid = "paid"
    receivable = "receivable"
    recoveries = "recoveries"
    contributions = "contributions"


@dataclass(frozen=True)
class Accounts:
    programme_code: str
    year: int

    def of(self, kind: AccountKind) -> str:
        return f"{self.programme_code}/{self.year}/{AccountKind(kind).value}"

    @property
    def funding(self) -> str:
        return self.of(AccountKind.funding)

    @property
    def available(self) -> str:
        return self.of(AccountKind.available)

    @property
    def reserved(self) -> str:
        return self.of(AccountKind.reserved)

    @property
    def paid(self) -> str:
        return self.of(AccountKind.paid)


class UnbalancedPosting(ValueError):
    """Keeps double entry: a posting's lines must sum to zero."""


def check_balanced(lines: list[tuple[str, int]]) -> None:
    if len(lines) < 2:
        raise UnbalancedPosting("a posting needs at least two lines")
    if any(amount == 0 for _, amount in lines):
        raise UnbalancedPosting("a posting line of zero fen says nothing")
    total = sum(amount for _, amount in lines)
    if total != 0:
        raise UnbalancedPosting(f"posting lines sum to {total} fen, not zero")
