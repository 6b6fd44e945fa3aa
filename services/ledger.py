"""Posting to the ledger, reading balances, and the budget rules.

Rules kept: every posting balances (checked here, and by the database when it is sealed); the
same business event posts once (idempotency key under a UNIQUE constraint); approving more
than a programme's remaining budget is refused, naming remaining and requested amounts.
Reservations lock the programme row, so two approvals cannot spend the same yuan.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from models.cases import Case, Programme
from models.enums import CaseStatus, CaseType, Role
from models.errors import InputError, NotFound, RuleViolation
from models.identity import Actor
from models.ledger import Accounts, LedgerLine, LedgerPosting, check_balanced
from models.money import format_fen
from services import auth
from services.audit import append_event
from services.db import transaction


class BudgetExceeded(RuleViolation):
    """Keeps the yearly budget: approvals reserve only what is still available."""

    def __init__(self, programme: str, year: int, remaining_fen: int, requested_fen: int) -> None:
        super().__init__(f"budget of {programme} {year} exceeded: {format_fen(remaining_fen)} remaining, "
                         f"{format_fen(requested_fen)} requested")


def accounts_for(programme: Programme) -> Accounts:
    return Accounts(programme.code, programme.year)


def post(session: Session, *, key: str, kind: str, programme: Programme, lines: list[tuple[str, int]],
         case_id: int | None = None, payout_id: int | None = None) -> LedgerPosting:
    """Write one balanced posting; a posting with the same key already there is returned as is."""
    existing = session.execute(
        select(LedgerPosting).where(col(LedgerPosting.idempotency_key) == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    check_balanced(lines)
    posting = LedgerPosting(idempotency_key=key, kind=kind, programme_id=programme.id,  # type: ignore[arg-type]
                            case_id=case_id, payout_id=payout_id)
    session.add(posting)
    session.flush()
    for account, amount in lines:
        session.add(LedgerLine(posting_id=posting.id, account=account, case_id=case_id, amount_fen=amount))  # type: ignore[arg-type]
    session.flush()
    session.execute(update(LedgerPosting).where(col(LedgerPosting.id) == posting.id).values(sealed=True))
    return posting


def balance(session: Session, account: str, case_id: int | None = None) -> int:
    query = (select(func.coalesce(func.sum(LedgerLine.amount_fen), 0))
             .join(LedgerPosting, col(LedgerPosting.id) == LedgerLine.posting_id)
             .where(col(LedgerLine.account) == account, col(LedgerPosting.sealed).is_(True)))
    if case_id is not None:
        query = query.where(col(LedgerLine.case_id) == case_id)
    return int(session.execute(query).scalar_one())


def lock_programme(session: Session, programme_id: int) -> Programme:
    programme = session.execute(
        select(Programme).where(col(Programme.id) == programme_id).with_for_update()
    ).scalar_one_or_none()
    if programme is None:
        raise NotFound(f"programme {programme_id} does not exist")
    return programme


def reserve(session: Session, case: Case, amount_fen: int, key: str) -> None:
    """Approval: move ``amount_fen`` from available to reserved, if the budget allows it."""
    if case.programme_id is None:
        raise RuleViolation(f"case {case.case_number} has no programme to reserve budget from")
    programme = lock_programme(session, case.programme_id)
    accounts = accounts_for(programme)
    remaining = balance(session, accounts.available)
    if amount_fen > remaining:
        raise BudgetExceeded(programme.code, programme.year, remaining, amount_fen)
    post(session, key=key, kind="reserve", programme=programme, case_id=case.id,
         lines=[(accounts.available, -amount_fen), (accounts.reserved, amount_fen)])


def reserved_for_case(session: Session, case: Case) -> int:
    if case.programme_id is None:
        return 0
    programme = session.get(Programme, case.programme_id)
    assert programme is not None
    return balance(session, accounts_for(programme).reserved, case_id=case.id)


def release(session: Session, case: Case, key: str) -> int:
    """A cancellation (the case leaves approval for good): whatever the case holds goes back."""
    return release_amount(session, case, reserved_for_case(session, case), key)


def release_amount(session: Session, case: Case, amount_fen: int, key: str) -> int:
    """A definite failure of one of the case's payouts: that payout's amount goes back (never
    more than the case still holds)."""
    amount = min(amount_fen, reserved_for_case(session, case))
    if amount <= 0:
        return 0
    programme = lock_programme(session, case.programme_id)  # type: ignore[arg-type]
    accounts = accounts_for(programme)
    post(session, key=key, kind="release", programme=programme, case_id=case.id,
         lines=[(accounts.reserved, -amount), (accounts.available, amount)])
    return amount


def settle(session: Session, case: Case, amount_fen: int, key: str, payout_id: int) -> None:
    """A payout succeeded: the reservation becomes money paid."""
    programme = lock_programme(session, case.programme_id)  # type: ignore[arg-type]
    accounts = accounts_for(programme)
    post(session, key=key, kind="pay", programme=programme, case_id=case.id, payout_id=payout_id,
         lines=[(accounts.reserved, -amount_fen), (accounts.paid, amount_fen)])


def on_case_transition(session: Session, case: Case, from_status: CaseStatus, to_status: CaseStatus) -> None:
    """Ledger side of lifecycle moves: leaving approval for good gives the reservation back."""
    if from_status == CaseStatus.approved and to_status in (CaseStatus.withdrawn, CaseStatus.rejected, CaseStatus.closed):
        release(session, case, key=f"release:{case.case_number}:v{case.version}")


# Programmes and budgets -------------------------------------------------------------------

def add_programme(code: str, name: str, case_type: CaseType, year: int, budget_fen: int, *, actor: Actor = "system",
                  engine: Engine | None = None) -> Programme:
    """A programme and its budget, set up by finance or a supervisor (the operator while bootstrapping)."""
    if not code.strip() or "/" in code:
        raise InputError("code", "is required and may not contain '/'")
    if budget_fen < 0:
        raise InputError("budget", "must not be negative")
    with transaction(engine) as session:
        who = auth.require_setup(session, actor, frozenset({Role.finance, Role.supervisor}), "adding a programme")
        if session.execute(
            select(Programme).where(col(Programme.code) == code, col(Programme.year) == year)
        ).scalar_one_or_none():
            raise InputError("code", f"programme {code} {year} already exists")
        programme = Programme(code=code, name=name, case_type=case_type, year=year, budget_fen=budget_fen)
        session.add(programme)
        session.flush()
        if budget_fen:
            accounts = accounts_for(programme)
            post(session, key=f"budget:{code}:{year}:initial", kind="budget", programme=programme,
                 lines=[(accounts.funding, -budget_fen), (accounts.available, budget_fen)])
        append_event(session, actor=who, action="programme_added",
                     payload={"programme": code, "year": year, "budget_fen": budget_fen})
        return programme


def find_programme(session: Session, code: str, year: int) -> Programme:
    programme = session.execute(
        select(Programme).where(col(Programme.code) == code, col(Programme.year) == year)
    ).scalar_one_or_none()
    if programme is None:
        raise NotFound(f"programme {code} {year} does not exist")
    return programme


@dataclass(frozen=True)
class FundsRow:
    programme: str
    name: str
    year: int
    budget_fen: int
    reserved_fen: int
    paid_fen: int
    remaining_fen: int


def funds(engine: Engine | None = None, year: int | None = None) -> list[FundsRow]:
    with transaction(engine) as session:
        query = select(Programme).order_by(col(Programme.year), col(Programme.code))
        if year is not None:
            query = query.where(col(Programme.year) == year)
        rows = []
        for programme in session.execute(query).scalars():
            accounts = accounts_for(programme)
            rows.append(FundsRow(programme.code, programme.name, programme.year, -balance(session, accounts.funding),
                                 balance(session, accounts.reserved), balance(session, accounts.paid),
                                 balance(session, accounts.available)))
        return rows
