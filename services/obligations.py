"""Opening a case's payment obligations and recording what it is owed as it comes in.

Rules kept: a case's obligations are opened once, numbered from 1 in the order of its payment
plan (the same plan again changes nothing; another plan is refused); a party is named by a
member number or a unit code, never by an identity, card or mobile number; a receivable posts
to the ledger when opened and again with each receipt, under keys that post once; a receipt is
known by the payer's transfer reference, so recording it twice records it once; only a person
with the finance role records money received; no receipt
takes more than is still owed, also when two are recorded at the same moment (the obligation's
settled amount is updated guarded by the amount read).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.cases import Case, Programme
from models.enums import CaseType, Role
from models.errors import ConflictError, InputError, NotFound, RuleViolation
from models.identity import Actor, Verified
from models.ledger import AccountKind
from models.members import Member
from models.money import format_fen
from models.obligations import Direction, Obligation, ObligationState, Party, Receipt, receipt_refusal
from models.time import utcnow
from services import ledger
from services.audit import append_event
from services.cases import load_case, resolve_actor
from services.db import transaction
from services.masking import holds_identifier, mask_text


@dataclass(frozen=True)
class Planned:
    """One amount of a payment plan: which way, to or from whom, what for, how much, by when."""

    direction: Direction
    party: Party
    party_ref: str
    purpose: str
    amount_fen: int
    due_on: date | None = None

    def _as_row(self) -> tuple[object, ...]:
        return (self.direction, self.party, self.party_ref.strip(), self.purpose.strip(), self.amount_fen, self.due_on)


def _row_of(obligation: Obligation) -> tuple[object, ...]:
    return (obligation.direction, obligation.party, obligation.party_ref, obligation.purpose, obligation.amount_fen,
            obligation.due_on)


def _check(session: Session, planned: Planned) -> None:
    if planned.amount_fen <= 0:
        raise InputError("amount", "must be more than zero")
    ref = planned.party_ref.strip()
    if not ref or len(ref) > 40:
        raise InputError("party_ref", "is required: a member number or a unit code of at most 40 characters")
    if planned.party == Party.member:
        # A member is named by the number on file, whatever its shape (a service-card number
        # looks like a bank card); anything else is refused without being echoed.
        if session.execute(select(col(Member.id)).where(col(Member.member_number) == ref)).first() is None:
            raise InputError("party_ref", "is not the number of a member on file")
    elif mask_text(ref) != ref:
        raise InputError("party_ref", "must be a member number or a unit code, not an identity, card or mobile number")
    purpose = planned.purpose.strip()
    if not purpose or len(purpose) > 60:
        raise InputError("purpose", "is required, at most 60 characters")
    if mask_text(purpose) != purpose:
        raise InputError("purpose", "must say what the amount is for, without an identity, card or mobile number")


def open_obligations(session: Session, case: Case, plan: Sequence[Planned], *, actor: str | Verified) -> list[Obligation]:
    """Open the case's obligations as planned, in the caller's transaction (a decision's)."""
    existing = list(session.execute(select(Obligation).where(col(Obligation.case_id) == case.id)
                                    .order_by(col(Obligation.seq))).scalars())
    if existing:
        if [_row_of(o) for o in existing] == [p._as_row() for p in plan]:
            return existing
        raise ConflictError(f"case {case.case_number} has its obligations already; they are not planned again")
    if not plan:
        raise InputError("plan", "names no amount")
    if case.programme_id is None:
        raise RuleViolation(f"case {case.case_number} has no programme: no fund to owe or be owed from")
    for planned in plan:
        _check(session, planned)
    programme = session.get(Programme, case.programme_id)
    assert programme is not None  # a foreign key
    accounts = ledger.accounts_for(programme)
    opened = []
    for seq, planned in enumerate(plan, start=1):
        obligation = Obligation(case_id=case.id, seq=seq, direction=planned.direction, party=planned.party,  # type: ignore[arg-type]
                                party_ref=planned.party_ref.strip(), purpose=planned.purpose.strip(),
                                programme_id=programme.id, amount_fen=planned.amount_fen, due_on=planned.due_on,  # type: ignore[arg-type]
                                state=ObligationState.open)
        session.add(obligation)
        session.flush()
        if planned.direction == Direction.incoming:
            ledger.post(session, key=f"raise:{case.case_number}:O{seq}", kind="receivable_raised", programme=programme,
                        lines=[(accounts.of(AccountKind.receivable), planned.amount_fen),
                               (accounts.of(AccountKind.recoveries), -planned.amount_fen)], case_id=case.id)
        opened.append(obligation)
    append_event(session, actor=actor, action="obligations_opened", case_id=case.id, case_number=case.case_number,
                 payload={"obligations": [{"seq": o.seq, "direction": o.direction.value, "party": o.party.value,
                                           "purpose": o.purpose, "amount_fen": o.amount_fen,
                                           "due_on": o.due_on.isoformat() if o.due_on else None} for o in opened]})
    return opened


PaymentPlan = Callable[[Session, Case], Sequence[Planned]]


def pay_the_applicant(session: Session, case: Case) -> list[Planned]:
    """The plan of a type that pays the decided amount to its applicant at once (hardship aid, and
    any type whose package names no plan of its own)."""
    member = session.get(Member, case.applicant_member_id)
    assert member is not None  # a foreign key
    return [Planned(Direction.outgoing, Party.member, member.member_number, case.category, case.approved_fen or 0)]


PLANS: dict[CaseType, PaymentPlan] = {}


def plan_refusal(case_type: CaseType, plan: PaymentPlan) -> str | None:
    if PLANS.get(case_type, plan) is not plan:
        return f"case type {case_type.value} has its payment plan already"
    return None


def register_plan(case_type: CaseType, plan: PaymentPlan) -> None:
    """A case type's payment plan (its package's): from the decided case, what it owes and is owed."""
    if why := plan_refusal(case_type, plan):
        raise ValueError(why)
    PLANS[case_type] = plan


def open_plan(session: Session, case: Case, *, actor: str | Verified) -> list[Obligation]:
    """Open the decided case's obligations from its type's payment plan, in the caller's
    transaction (the decision's; or the first payout's, for a case decided before plans existed).
    What the plan pays out must be what was approved: that is the amount reserved for the case."""
    plan = list(PLANS.get(case.case_type, pay_the_applicant)(session, case))
    out = sum(p.amount_fen for p in plan if p.direction == Direction.outgoing)
    if out != (case.approved_fen or 0):
        raise RuleViolation(f"case {case.case_number}: its payment plan pays out {format_fen(out)}, "
                            f"but {format_fen(case.approved_fen or 0)} was approved")
    return open_obligations(session, case, plan, actor=actor)


def outgoing(session: Session, case: Case) -> list[Obligation]:
    """The case's obligations we pay, in order."""
    return list(session.execute(select(Obligation).where(col(Obligation.case_id) == case.id,
                                                         col(Obligation.direction) == Direction.outgoing)
                                .order_by(col(Obligation.seq))).scalars())


def record_receipt(case_number: str, seq: int, *, amount_fen: int, reference: str, received_on: date, actor: Actor,
                   engine: Engine | None = None) -> Receipt:
    """Record money received against obligation ``seq`` of the case, under the payer's reference."""
    reference = reference.strip()
    if not reference or len(reference) > 60:
        raise InputError("reference", "is required: the payer's transfer reference, at most 60 characters")
    if holds_identifier(reference):
        raise InputError("reference", "must be the transfer's reference, not an identity, card or mobile number")
    with transaction(engine) as session:
        acting = resolve_actor(session, actor)
        if acting.roles is None or Role.finance not in acting.roles:
            raise RuleViolation(f"recording money received needs a person with the role finance; "
                                f"{acting.label} is not one")
        case = load_case(session, case_number)
        # Locked first, so two receipts against it (the same one twice, too) queue here.
        obligation = session.execute(select(Obligation).where(col(Obligation.case_id) == case.id,
                                                              col(Obligation.seq) == seq)
                                     .with_for_update()).scalar_one_or_none()
        if obligation is None:
            raise NotFound(f"case {case_number} has no obligation {seq}")
        known = session.execute(select(Receipt).where(col(Receipt.reference) == reference)).scalar_one_or_none()
        if known is not None:
            if (known.obligation_id, known.amount_fen, known.received_on) == (obligation.id, amount_fen, received_on):
                return known  # the same receipt again
            raise ConflictError(f"reference {reference} is recorded already for another receipt")
        refused = receipt_refusal(obligation, amount_fen)
        if refused:
            raise InputError(*refused)
        settled = obligation.settled_fen + amount_fen
        done = settled == obligation.amount_fen
        moved = session.execute(
            update(Obligation)
            .where(col(Obligation.id) == obligation.id, col(Obligation.settled_fen) == obligation.settled_fen,
                   col(Obligation.state) == ObligationState.open)
            .values(settled_fen=settled, state=ObligationState.settled if done else ObligationState.open,
                    settled_at=utcnow() if done else None)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"obligation {seq} of case {case_number} was changed by someone else; try again")
        receipt = Receipt(obligation_id=obligation.id, reference=reference, amount_fen=amount_fen,
                          received_on=received_on, recorded_by=acting.label)
        session.add(receipt)
        try:
            session.flush()
        except IntegrityError:  # the same reference, recorded against another obligation at this moment
            raise ConflictError(f"reference {reference} was recorded at the same moment for another receipt") from None
        programme = session.get(Programme, obligation.programme_id)
        assert programme is not None
        accounts = ledger.accounts_for(programme)
        ledger.post(session, key=f"receive:{reference}", kind="receivable_received", programme=programme,
                    lines=[(accounts.available, amount_fen), (accounts.of(AccountKind.receivable), -amount_fen)],
                    case_id=case.id)
        append_event(session, actor=acting.audit_actor, action="receipt_recorded", case_id=case.id, case_number=case_number,
                     reason=f"{obligation.purpose}: received {received_on.isoformat()}",
                     payload={"seq": seq, "reference": reference, "amount_fen": amount_fen,
                              "outstanding_fen": obligation.amount_fen - settled})
        return receipt


@dataclass(frozen=True)
class ObligationView:
    case_number: str
    seq: int
    direction: Direction
    party: Party
    party_ref: str
    purpose: str
    amount_fen: int
    settled_fen: int
    due_on: date | None
    state: ObligationState


def _view(case_number: str, o: Obligation) -> ObligationView:
    return ObligationView(case_number, o.seq, o.direction, o.party, o.party_ref, o.purpose, o.amount_fen,
                          o.settled_fen, o.due_on, o.state)


def obligations_of(case_number: str, engine: Engine | None = None) -> list[ObligationView]:
    with transaction(engine) as session:
        case = load_case(session, case_number)
        rows = session.execute(select(Obligation).where(col(Obligation.case_id) == case.id)
                               .order_by(col(Obligation.seq))).scalars()
        return [_view(case_number, o) for o in rows]


def overdue_receivables(on: date, engine: Engine | None = None) -> list[ObligationView]:
    """Open receivables whose day came before ``on``, the longest overdue first."""
    with transaction(engine) as session:
        rows = session.execute(
            select(Obligation, col(Case.case_number)).join(Case, col(Case.id) == Obligation.case_id)
            .where(col(Obligation.direction) == Direction.incoming, col(Obligation.state) == ObligationState.open,
                   col(Obligation.due_on) < on)
            .order_by(col(Obligation.due_on), col(Case.case_number), col(Obligation.seq))
        ).all()
        return [_view(number, o) for o, number in rows]
