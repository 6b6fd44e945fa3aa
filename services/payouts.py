"""Payouts: exactly once, across crashes, timeouts, retries and concurrent workers.

How money moves once:
1. ``prepare_payout`` commits the payout row with its deterministic reference (case number and
   attempt) and moves the case to payout_pending, before anything is sent. At most one live
   payout per case (UNIQUE ``live_case_id``).
2. ``send_payout`` commits "submitted" *before* the HTTP call, then sends. Whatever happens
   next, the provider's reference idempotency means a re-send can never pay twice.
3. A timeout, 5xx or lost response makes the payout **unknown**, never failed. Only the
   provider's definite "failed" ends a payout as failed, releases its reservation and lets a new
   attempt (new reference) begin.
4. ``resolve_payout`` asks the provider by reference: adopts its answer, or re-sends the
   identical request if the provider has never seen it. It also sends payouts a crash left in
   "prepared". Run it until nothing is open (the resolver deployment does).
Every payout state change is a guarded UPDATE plus its audit event, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.cases import Case
from models.enums import CaseStatus
from models.errors import ConflictError, OutcomeUnknown, PermanentError, RetryableError, RuleViolation
from models.members import Member
from models.payouts import OPEN_STATUSES, PAYOUT_TRANSITIONS, Payout, PayoutStatus, payout_reference
from models.time import utcnow
from services import ledger, pii
from services.cases import apply_transition, load_case
from services.db import transaction
from services.moves import Audit, move
from services.payment_provider import PaymentProvider, Transfer

S = PayoutStatus


@dataclass(frozen=True)
class PayoutView:
    """What flows and reports may see of a payout: no payee name, no account."""

    id: int
    case_number: str
    reference: str
    status: PayoutStatus
    amount_fen: int


def _view(payout: Payout, case_number: str) -> PayoutView:
    return PayoutView(payout.id, case_number, payout.reference, payout.status, payout.amount_fen)  # type: ignore[arg-type]


def _move(session: Session, payout: Payout, case_number: str, to: PayoutStatus, reason: str = "", **values: object) -> bool:
    """Guarded payout state change with its audit event. False when someone else moved it first."""
    frm = payout.status
    action = PAYOUT_TRANSITIONS.get((frm, to))
    if action is None:
        raise RuleViolation(f"payout {payout.reference}: cannot move from {frm.value} to {to.value}")
    audit = Audit("system", action, reason, payout.case_id, case_number,
                  {"reference": payout.reference, "attempt": payout.attempt, "amount_fen": payout.amount_fen})
    return move(session, payout, to, at=utcnow(), audit=audit, values=values)


def _live_payout(session: Session, case_id: int) -> Payout | None:
    return session.execute(select(Payout).where(col(Payout.live_case_id) == case_id)).scalar_one_or_none()


def prepare_payout(case_number: str, *, actor: str = "system", engine: Engine | None = None) -> PayoutView:
    """The payout row, committed before anything is sent; the live one if it exists already."""
    try:
        return _prepare(case_number, actor, engine)
    except (ConflictError, IntegrityError):
        # Another worker prepared it at the same moment (on PostgreSQL the UNIQUE attempt or
        # live-payout constraint says so): theirs is the one.
        with transaction(engine) as session:
            case = load_case(session, case_number)
            live = _live_payout(session, case.id)  # type: ignore[arg-type]
            if live is None:
                raise
            return _view(live, case_number)


def _prepare(case_number: str, actor: str, engine: Engine | None) -> PayoutView:
    with transaction(engine) as session:
        case = load_case(session, case_number)
        live = _live_payout(session, case.id)  # type: ignore[arg-type]
        if live is not None:
            return _view(live, case_number)
        if case.status != CaseStatus.approved or not case.approved_fen:
            raise RuleViolation(f"case {case_number} is {case.status.value}, not approved: nothing to pay")
        member = session.get(Member, case.applicant_member_id)
        if member is None or not member.bank_account_enc:
            raise RuleViolation(f"case {case_number}: the applicant has no bank account on file")
        attempt = 1 + int(session.execute(
            select(func.count()).select_from(Payout).where(col(Payout.case_id) == case.id)
        ).scalar_one())
        reference = payout_reference(case_number, attempt)
        if ledger.reserved_for_case(session, case) < case.approved_fen:
            # An earlier attempt failed and gave its reservation back: reserve again.
            ledger.reserve(session, case, case.approved_fen - ledger.reserved_for_case(session, case),
                           key=f"reserve:{reference}")
        payout = Payout(case_id=case.id, live_case_id=case.id, attempt=attempt, reference=reference,  # type: ignore[arg-type]
                        amount_fen=case.approved_fen, payee_name=member.name, bank_account_enc=member.bank_account_enc,
                        bank_account_masked=member.bank_account_masked or "", status=S.prepared)
        session.add(payout)
        session.flush()
        apply_transition(session, case, CaseStatus.payout_pending, actor=actor, reason=f"payout {reference} prepared",
                         payload={"reference": reference, "amount_fen": payout.amount_fen})
        return _view(payout, case_number)


def _load(session: Session, payout_id: int) -> tuple[Payout, Case]:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise RuleViolation(f"payout {payout_id} does not exist")
    case = session.get(Case, payout.case_id)
    assert case is not None
    return payout, case


def send_payout(payout_id: int, provider: PaymentProvider, engine: Engine | None = None) -> PayoutStatus:
    """Record the send, then send. A repeat (or a concurrent send) re-sends the identical request."""
    with transaction(engine) as session:
        payout, case = _load(session, payout_id)
        if payout.status not in OPEN_STATUSES:
            return payout.status
        if not _move(session, payout, case.case_number, S.submitted, send_count=payout.send_count + 1):
            session.rollback()
            return send_payout(payout_id, provider, engine)
        request = (payout.reference, payout.payee_name, pii.decrypt(payout.bank_account_enc), payout.amount_fen,
                   f"unionaid {case.case_number}")
    try:
        transfer = provider.create_transfer(*request)
    except OutcomeUnknown as exc:
        return _record_unknown(payout_id, str(exc), engine)
    except RetryableError as exc:
        _record_error(payout_id, str(exc), engine)
        return S.submitted
    except PermanentError as exc:
        _record_error(payout_id, str(exc), engine)
        raise
    return apply_provider_view(payout_id, transfer, engine)


def _record_unknown(payout_id: int, error: str, engine: Engine | None) -> PayoutStatus:
    with transaction(engine) as session:
        payout, case = _load(session, payout_id)
        if payout.status in (S.submitted, S.unknown):
            _move(session, payout, case.case_number, S.unknown, reason=error[:400], last_error=error[:400])
        return payout.status


def _record_error(payout_id: int, error: str, engine: Engine | None) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Payout).where(col(Payout.id) == payout_id).values(last_error=error[:400], updated_at=utcnow())
        )


def apply_provider_view(payout_id: int, transfer: Transfer, engine: Engine | None = None) -> PayoutStatus:
    """Adopt what the provider says happened to our reference."""
    with transaction(engine) as session:
        payout, case = _load(session, payout_id)
        if payout.status not in (S.submitted, S.unknown):
            return payout.status
        if transfer.reference != payout.reference:
            raise PermanentError(f"provider answered for {transfer.reference}, not {payout.reference}")
        if transfer.status == "succeeded":
            if transfer.amount_fen != payout.amount_fen:
                raise PermanentError(f"payout {payout.reference}: provider paid {transfer.amount_fen} fen, "
                                     f"we asked for {payout.amount_fen}; finance must look at it")
            if not _move(session, payout, case.case_number, S.succeeded, provider_id=transfer.provider_id,
                         completed_at=utcnow(), last_error=None):
                return _reread(session, payout_id)

            def record_paid(s: Session, c: Case) -> None:
                ledger.settle(s, c, payout.amount_fen, key=f"pay:{payout.reference}", payout_id=payout.id)  # type: ignore[arg-type]
                c.paid_fen = c.paid_fen + payout.amount_fen
                s.add(c)

            apply_transition(session, case, CaseStatus.paid, actor="system", reason=f"payout {payout.reference} succeeded",
                             payload={"reference": payout.reference, "provider_id": transfer.provider_id}, effects=record_paid)
            return S.succeeded
        if transfer.status == "failed":
            reason = (transfer.failure_reason or "failed")[:400]
            if not _move(session, payout, case.case_number, S.failed, reason=reason, provider_id=transfer.provider_id,
                         failure_reason=reason, live_case_id=None, completed_at=utcnow()):
                return _reread(session, payout_id)

            def give_back(s: Session, c: Case) -> None:
                ledger.release(s, c, key=f"release:{payout.reference}")

            apply_transition(session, case, CaseStatus.approved, actor="system",
                             reason=f"payout {payout.reference} failed: {reason}", effects=give_back)
            return S.failed
        return payout.status  # still processing at the provider


def _reread(session: Session, payout_id: int) -> PayoutStatus:
    session.expire_all()
    payout = session.get(Payout, payout_id)
    assert payout is not None
    return payout.status


def resolve_payout(payout_id: int, provider: PaymentProvider, engine: Engine | None = None) -> PayoutStatus:
    """Drive one open payout towards a final state."""
    with transaction(engine) as session:
        payout, _ = _load(session, payout_id)
        status, reference = payout.status, payout.reference
    if status == S.prepared:
        return send_payout(payout_id, provider, engine)
    if status not in (S.submitted, S.unknown):
        return status
    try:
        transfer = provider.query_transfer(reference)
    except (RetryableError, OutcomeUnknown) as exc:
        _record_error(payout_id, str(exc), engine)
        return status
    if transfer is None:
        return send_payout(payout_id, provider, engine)  # never reached the provider: same request again
    return apply_provider_view(payout_id, transfer, engine)


def open_payout_ids(engine: Engine | None = None, older_than: timedelta = timedelta(0)) -> list[int]:
    cutoff = utcnow() - older_than
    with transaction(engine) as session:
        return list(session.execute(select(col(Payout.id)).where(col(Payout.status).in_(OPEN_STATUSES),
                                                                col(Payout.updated_at) <= cutoff)
                                    .order_by(col(Payout.id))).scalars())


def pay_case(case_number: str, provider: PaymentProvider, *, actor: str = "system",
             engine: Engine | None = None) -> PayoutView:
    """Prepare (or find) the case's payout and send it. Safe to call any number of times."""
    view = prepare_payout(case_number, actor=actor, engine=engine)
    status = send_payout(view.id, provider, engine) if view.status in OPEN_STATUSES else view.status
    return PayoutView(view.id, case_number, view.reference, status, view.amount_fen)
