"""Payouts: exactly once, across crashes, timeouts, retries and concurrent workers.

A case pays what its payment plan owes: one payout per outgoing obligation (hardship: one, to
the applicant, for the approved amount). How money moves once, for each obligation:
1. ``prepare_payouts`` commits the payout row with its deterministic reference (case number,
   obligation and attempt) and moves the case to payout_pending, before anything is sent. At
   most one live payout per obligation (UNIQUE ``live_obligation_id``).
2. ``send_payout`` commits "submitted" *before* the HTTP call, then sends. Whatever happens
   next, the provider's reference idempotency means a re-send can never pay twice.
3. A timeout, 5xx or lost response makes the payout **unknown**, never failed. Only the
   provider's definite "failed" ends a payout as failed, gives that obligation's reservation
   back and lets a new attempt (new reference) begin, once a person has looked: when nothing of
   the case is still on its way, the case goes back to approved.
4. ``resolve_payout`` asks the provider by reference: adopts its answer, or re-sends the
   identical request if the provider has never seen it. It also sends payouts a crash left in
   "prepared". Run it until nothing is open (the resolver deployment does).
The case is paid when every outgoing obligation is settled. Every payout state change is a
guarded UPDATE plus its audit event, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from models.cases import Case
from models.enums import CaseStatus, Role
from models.errors import (
    OutcomeUnknown,
    PermanentError,
    RecordDisagrees,
    RetryableError,
    RuleViolation,
    UnionaidError,
)
from models.identity import SYSTEM_ACTOR, Actor, Verified
from models.members import Member
from models.obligations import Obligation, ObligationState, Party
from models.payouts import OPEN_STATUSES, PAYOUT_TRANSITIONS, Payout, PayoutStatus, payout_reference
from models.time import utcnow
from services import audit_replay, auth, ledger, obligations, pii
from services.audit import append_event
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


def _live_payout(session: Session, obligation_id: int) -> Payout | None:
    return session.execute(select(Payout).where(col(Payout.live_obligation_id) == obligation_id)).scalar_one_or_none()


def prepare_payouts(case_number: str, *, actor: Actor = "system", engine: Engine | None = None) -> list[PayoutView]:
    """The payout of each outgoing obligation of the case, in order: the live one where it
    exists, else a new one committed before anything is sent. All of them in one transaction, so
    a case paying has a payout for every obligation it pays (a crash leaves none half-prepared),
    and two workers preparing at the same moment queue on the case: the second gets the first
    one's payouts. A case decided before it had obligations has them opened from its type's
    payment plan first.

    The case moves to paying as the system does it (``release_payout`` is never made by hand);
    a finance officer who asked for it, proved, is recorded as ``released_by``."""
    with transaction(engine) as session:
        released_by = None if actor == SYSTEM_ACTOR else \
            auth.require_role(session, actor, frozenset({Role.finance}), "releasing a payout")[1]
        case = _locked_case(session, case_number)
        owed = obligations.outgoing(session, case)
        if not owed:
            if case.status != CaseStatus.approved or not case.approved_fen:
                raise RuleViolation(f"case {case_number} is {case.status.value}, not approved: nothing to pay")
            obligations.open_plan(session, case, actor=SYSTEM_ACTOR)
            owed = obligations.outgoing(session, case)
        # Approved: every obligation still owed is paid (again, after a refusal a person looked
        # at). Paying already: only the live payouts; a refused one waits for the case to be
        # approved again.
        again = case.status == CaseStatus.approved
        views = [_prepare(session, case, obligation, released_by, again) for obligation in owed]
        return [view for view in views if view is not None]


def _locked_case(session: Session, case_number: str) -> Case:
    """The case row, locked until the transaction ends: whatever prepares or settles a payout of
    a case takes this lock first, so two of them queue, and each sees what the other committed
    (the obligations settled, the amount still reserved)."""
    case = load_case(session, case_number)
    return _lock_case(session, case.id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Payee:
    """Whom a payout pays: the name the bank checks, the account encrypted, and the account masked."""

    name: str
    bank_account_enc: str | None
    bank_account_masked: str


PayeeFinder = Callable[[Session, Case, Obligation], "Payee | None"]
PAYEES: dict[Party, PayeeFinder] = {}


def register_payee(party: Party, finder: PayeeFinder) -> None:
    """Where a case type finds the account of a party that is not a member (mediation: the worker
    of a case, named by its case number); the same finder again changes nothing."""
    if PAYEES.get(party, finder) is not finder:
        raise ValueError(f"party {party.value} has its payee finder already")
    PAYEES[party] = finder


def _payee(session: Session, case: Case, obligation: Obligation) -> Payee:
    payee = None
    member = None
    if obligation.party == Party.member:
        member = session.execute(select(Member).where(col(Member.member_number) == obligation.party_ref)
                                 ).scalar_one_or_none()
        if member is not None:
            payee = Payee(member.name, member.bank_account_enc, member.bank_account_masked or "")
    elif obligation.party in PAYEES:
        payee = PAYEES[obligation.party](session, case, obligation)
    if payee is None or not payee.bank_account_enc:
        who = "the applicant" if member is not None and member.id == case.applicant_member_id else \
            f"the {obligation.party.value} of obligation {obligation.seq}"
        raise RuleViolation(f"case {case.case_number}: {who} has no bank account on file")
    return payee


def _prepare(session: Session, case: Case, obligation: Obligation, released_by: Verified | None,
             again: bool) -> PayoutView | None:
    case_number = case.case_number
    live = _live_payout(session, obligation.id)  # type: ignore[arg-type]
    if live is not None:
        return _view(live, case_number)
    if obligation.state != ObligationState.open:
        return None
    attempts = int(session.execute(
        select(func.count()).select_from(Payout).where(col(Payout.obligation_id) == obligation.id)
    ).scalar_one())
    if attempts and not again:
        return None  # refused by the bank: a person looks once the case is back to approved
    if case.status not in (CaseStatus.approved, CaseStatus.payout_pending) or not case.approved_fen:
        raise RuleViolation(f"case {case_number} is {case.status.value}, not approved: nothing to pay")
    payee = _payee(session, case, obligation)
    attempt = 1 + attempts
    reference = payout_reference(case_number, attempt, obligation.seq)
    owed = sum(o.outstanding_fen for o in obligations.outgoing(session, case) if o.state == ObligationState.open)
    if (shortfall := owed - ledger.reserved_for_case(session, case)) > 0:
        # An earlier attempt failed and gave its reservation back: the case holds what it owes again.
        ledger.reserve(session, case, shortfall, key=f"reserve:{reference}")
    payout = Payout(case_id=case.id, obligation_id=obligation.id, live_obligation_id=obligation.id,  # type: ignore[arg-type]
                    attempt=attempt, reference=reference, amount_fen=obligation.amount_fen, payee_name=payee.name,
                    bank_account_enc=payee.bank_account_enc,  # type: ignore[arg-type]
                    bank_account_masked=payee.bank_account_masked, status=S.prepared)
    session.add(payout)
    session.flush()
    payload: dict[str, Any] = {"reference": reference, "amount_fen": payout.amount_fen}
    if released_by is not None:
        payload["released_by"] = released_by.staff_number
    if case.status == CaseStatus.approved:
        apply_transition(session, case, CaseStatus.payout_pending, actor=SYSTEM_ACTOR,
                         reason=f"payout {reference} prepared", payload=payload)
    else:  # the case is paying its other obligations already
        append_event(session, actor=SYSTEM_ACTOR, action="payout_prepared", case_id=case.id, case_number=case_number,
                     reason=f"payout {reference} prepared", payload=payload)
    return _view(payout, case_number)


def _load(session: Session, payout_id: int) -> tuple[Payout, Case]:
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise RuleViolation(f"payout {payout_id} does not exist")
    case = session.get(Case, payout.case_id)
    assert case is not None
    return payout, case


def send_payout(payout_id: int, provider: PaymentProvider, engine: Engine | None = None) -> PayoutStatus:
    """Record the send, then send. A repeat (or a concurrent send) re-sends the identical request.
    Nothing is sent for an amount the approval's audit event did not record (``RecordDisagrees``)."""
    try:
        with transaction(engine) as session:
            payout, case = _load(session, payout_id)
            if payout.status not in OPEN_STATUSES:
                return payout.status
            audit_replay.check_payout(session, payout, case)
            if not _move(session, payout, case.case_number, S.submitted, send_count=payout.send_count + 1):
                session.rollback()
                return send_payout(payout_id, provider, engine)
            request = (payout.reference, payout.payee_name, pii.decrypt(payout.bank_account_enc), payout.amount_fen,
                       f"unionaid {case.case_number}")
    except RecordDisagrees as exc:
        _record_error(payout_id, str(exc), engine)  # the payout stays open, its error on record for finance
        raise
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
                s.execute(update(Obligation).where(col(Obligation.id) == payout.obligation_id)
                          .values(settled_fen=payout.amount_fen, state=ObligationState.settled, settled_at=utcnow()))
                c.paid_fen = c.paid_fen + payout.amount_fen
                s.add(c)

            case = _lock_case(session, payout.case_id)
            if _all_paid_with(session, case, payout):
                apply_transition(session, case, CaseStatus.paid, actor="system",
                                 reason=f"payout {payout.reference} succeeded",
                                 payload={"reference": payout.reference, "provider_id": transfer.provider_id},
                                 effects=record_paid)
            else:
                record_paid(session, case)
                _back_to_a_person(session, case, payout, f"payout {payout.reference} succeeded")
            return S.succeeded
        if transfer.status == "failed":
            reason = (transfer.failure_reason or "failed")[:400]
            if not _move(session, payout, case.case_number, S.failed, reason=reason, provider_id=transfer.provider_id,
                         failure_reason=reason, live_obligation_id=None, completed_at=utcnow()):
                return _reread(session, payout_id)
            case = _lock_case(session, payout.case_id)
            ledger.release_amount(session, case, payout.amount_fen, key=f"release:{payout.reference}")
            _back_to_a_person(session, case, payout, f"payout {payout.reference} failed: {reason}")
            return S.failed
        return payout.status  # still processing at the provider


def _lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked: two payouts of one case ending at the same moment queue here, so
    the second sees what the first settled."""
    case = session.execute(select(Case).where(col(Case.id) == case_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    return case


def _all_paid_with(session: Session, case: Case, payout: Payout) -> bool:
    """Every outgoing obligation of the case is settled once ``payout`` is."""
    return all(o.state == ObligationState.settled or o.id == payout.obligation_id
               for o in obligations.outgoing(session, case))


def _back_to_a_person(session: Session, case: Case, ended: Payout, reason: str) -> None:
    """A payout ended and the case is not paid: once nothing else of it is on its way, the case
    goes back to approved for a person to look. (All of a case's payouts are prepared together,
    so an obligation without a payout on its way is one the bank refused.)"""
    still_open = session.execute(select(func.count()).select_from(Payout).where(
        col(Payout.case_id) == case.id, col(Payout.id) != ended.id, col(Payout.status).in_(OPEN_STATUSES))).scalar_one()
    if not still_open and case.status == CaseStatus.payout_pending:
        apply_transition(session, case, CaseStatus.approved, actor="system", reason=reason)


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


@dataclass(frozen=True)
class Resolution:
    """What one resolver pass did with one open payout: its status now, and why it is not
    finished when it is not (a message safe to show: no personal data)."""

    payout_id: int
    reference: str
    status: str
    why: str | None = None


def unfinished_because(exc: BaseException) -> tuple[str, str]:
    """The outcome label and the reason for a payout a resolver pass could not finish."""
    if isinstance(exc, RecordDisagrees):
        return "held: row disagrees with the audit trail", str(exc)
    if isinstance(exc, PermanentError):
        return "refused by the provider", str(exc)
    if isinstance(exc, UnionaidError):
        return "could not finish", str(exc)
    return "could not finish", f"{type(exc).__name__} (see the run's logs)"


def _reference(payout_id: int, engine: Engine | None) -> str:
    with transaction(engine) as session:
        payout = session.get(Payout, payout_id)
        return payout.reference if payout is not None else f"#{payout_id}"


def resolve_open_payouts(provider: PaymentProvider, *, older_than: timedelta = timedelta(0),
                         engine: Engine | None = None) -> list[Resolution]:
    """One pass over every open payout: each is driven as far as it goes, and one that cannot be
    finished (refused, held, a rule in the way) is reported with why and never stops the rest."""
    done = []
    for payout_id in open_payout_ids(engine, older_than):
        try:
            status = resolve_payout(payout_id, provider, engine).value
        except UnionaidError as exc:
            label, why = unfinished_because(exc)
            done.append(Resolution(payout_id, _reference(payout_id, engine), label, why))
            continue
        done.append(Resolution(payout_id, _reference(payout_id, engine), status))
    return done


def open_payout_ids(engine: Engine | None = None, older_than: timedelta = timedelta(0)) -> list[int]:
    cutoff = utcnow() - older_than
    with transaction(engine) as session:
        return list(session.execute(select(col(Payout.id)).where(col(Payout.status).in_(OPEN_STATUSES),
                                                                col(Payout.updated_at) <= cutoff)
                                    .order_by(col(Payout.id))).scalars())


def pay_case(case_number: str, provider: PaymentProvider, *, actor: Actor = "system",
             engine: Engine | None = None) -> list[PayoutView]:
    """Prepare (or find) the payout of each outgoing obligation and send those still open, in
    order. Safe to call any number of times."""
    views = []
    for view in prepare_payouts(case_number, actor=actor, engine=engine):
        status = send_payout(view.id, provider, engine) if view.status in OPEN_STATUSES else view.status
        views.append(PayoutView(view.id, case_number, view.reference, status, view.amount_fen))
    return views


def open_payouts_of(case_number: str, *, engine: Engine | None = None) -> list[int]:
    """The case's payouts still on their way (prepared, submitted, unknown), in order. Only
    reads: a case back to approved after a refusal waits for a person, whoever asks."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        return list(session.execute(select(col(Payout.id)).where(col(Payout.case_id) == case.id,
                                                                col(Payout.status).in_(OPEN_STATUSES))
                                    .order_by(col(Payout.id))).scalars())
