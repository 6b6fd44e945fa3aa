"""Assistance pairings (帮扶结对) and employment help (春送岗位, training, re-employment): recorded by
the caseworkers and supervisors who arrange them, audited, counted by the monthly report's plan
table (``services.reports.assistance``).

Rules kept: a pairing is made with a household in the hardship register, by staff of the
household's unit (district staff for any); its days are not in the future and its end is not
before its start; commitments and visit notes are stored encrypted, and the trail records only
that they were written. An employment record names a member, what happened and on which day; the
same record twice is one record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models.assistance import EmploymentKind, EmploymentRecord, HelperKind, Pairing, PairingVisit
from models.enums import Role
from models.errors import InputError, NotFound, RuleViolation
from models.identity import Actor
from models.members import Household, Member
from models.time import utcnow
from services import auth, households, pii
from services.audit import append_event
from services.db import transaction
from services.settings import get_settings

RECORDERS = frozenset({Role.caseworker, Role.supervisor})


@dataclass(frozen=True)
class PairingView:
    """A pairing as staff list it: no commitments or notes (``show`` them to staff who need them)."""

    id: int
    household: str
    helper_kind: str
    helper_name: str
    started_on: date
    ended_on: date | None
    visits: int


def _today() -> date:
    return utcnow().astimezone(get_settings().zone).date()


def _text(value: str, field: str, longest: int = 2000) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) < 2 or len(cleaned) > longest:
        raise InputError(field, f"must be 2 to {longest:,} characters")
    if "\x00" in cleaned:
        raise InputError(field, "contains a NUL character")
    return cleaned


def _day(value: date, field: str) -> date:
    if value > _today():
        raise InputError(field, "is in the future: give the day it happened")
    return value


def _pairing(session: Session, pairing_id: int) -> tuple[Pairing, Household]:
    pairing = session.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound(f"pairing {pairing_id} does not exist")
    household = session.get(Household, pairing.household_id)
    assert household is not None  # a foreign key
    return pairing, household


def start_pairing(household_number: str, *, helper_kind: HelperKind | str, helper_name: str, started_on: date,
                  commitments: str, actor: Actor, engine: Engine | None = None) -> int:
    """Pair a helper with a registered hardship household; returns the pairing's number."""
    try:
        kind = HelperKind(helper_kind)
    except ValueError:
        raise InputError("helper_kind", f"must be one of {', '.join(k.value for k in HelperKind)}") from None
    name = _text(helper_name, "helper_name", 100)
    promised = _text(commitments, "commitments")
    _day(started_on, "started_on")
    with transaction(engine) as session:
        household = households.find_household(session, household_number)
        who = households.acting_for_household(session, actor, household, "recording a pairing")
        if household.hardship_tier is None:
            raise RuleViolation(f"household {household_number} is not in the hardship register: a pairing is made "
                                "with a registered household (`unionaid households register`)")
        pairing = Pairing(household_id=household.id, helper_kind=kind, helper_name=name,  # type: ignore[arg-type]
                          started_on=started_on, commitments=pii.seal_text(promised), recorded_by=who.staff_number,
                          created_at=utcnow())
        session.add(pairing)
        session.flush()
        assert pairing.id is not None
        append_event(session, actor=who, action="pairing_started", reason="an assistance pairing (帮扶结对)",
                     payload={"pairing": pairing.id, "household": household_number, "helper_kind": kind.value,
                              "started_on": started_on.isoformat()})
        return pairing.id


def record_visit(pairing_id: int, *, visited_on: date, notes: str, actor: Actor, engine: Engine | None = None) -> int:
    """A visit of the helper to the household; returns how many visits the pairing has."""
    written = _text(notes, "notes")
    _day(visited_on, "visited_on")
    with transaction(engine) as session:
        pairing, household = _pairing(session, pairing_id)
        who = households.acting_for_household(session, actor, household, "recording a pairing's visit")
        if visited_on < pairing.started_on or (pairing.ended_on is not None and visited_on > pairing.ended_on):
            raise InputError("visited_on", "falls outside the pairing's days")
        session.add(PairingVisit(pairing_id=pairing_id, visited_on=visited_on, notes=pii.seal_text(written),
                                 recorded_by=who.staff_number, created_at=utcnow()))
        append_event(session, actor=who, action="pairing_visited", reason="a visit of the helper",
                     payload={"pairing": pairing_id, "visited_on": visited_on.isoformat()})
        return len(session.execute(select(col(PairingVisit.id)).where(col(PairingVisit.pairing_id) == pairing_id)).all())


def end_pairing(pairing_id: int, *, ended_on: date, reason: str, actor: Actor, engine: Engine | None = None) -> None:
    why = _text(reason, "reason", 200)
    _day(ended_on, "ended_on")
    with transaction(engine) as session:
        pairing, household = _pairing(session, pairing_id)
        who = households.acting_for_household(session, actor, household, "ending a pairing")
        if pairing.ended_on is not None:
            raise RuleViolation(f"pairing {pairing_id} ended on {pairing.ended_on.isoformat()} already")
        if ended_on < pairing.started_on:
            raise InputError("ended_on", "is before the pairing started")
        pairing.ended_on, pairing.end_reason = ended_on, why
        session.add(pairing)
        append_event(session, actor=who, action="pairing_ended", reason=why,
                     payload={"pairing": pairing_id, "ended_on": ended_on.isoformat()})


def list_pairings(*, engine: Engine | None = None) -> list[PairingView]:
    with transaction(engine) as session:
        rows = session.execute(select(Pairing, col(Household.household_number))
                               .join(Household, col(Household.id) == Pairing.household_id)
                               .order_by(col(Pairing.id))).all()
        visits: dict[int, int] = {}
        for (pairing_id,) in session.execute(select(col(PairingVisit.pairing_id))).all():
            visits[pairing_id] = visits.get(pairing_id, 0) + 1
        return [PairingView(p.id or 0, number, p.helper_kind.value, p.helper_name, p.started_on, p.ended_on,
                            visits.get(p.id or 0, 0)) for p, number in rows]


def record_employment(member_number: str, kind: EmploymentKind | str, *, happened_on: date, detail: str,
                      actor: Actor, engine: Engine | None = None) -> bool:
    """A job referral, a training completed or a re-employment of a member. False when the very
    same record was there already (recording it again changes nothing)."""
    try:
        what = EmploymentKind(kind)
    except ValueError:
        raise InputError("kind", f"must be one of {', '.join(k.value for k in EmploymentKind)}") from None
    about = _text(detail, "detail", 200)
    _day(happened_on, "happened_on")
    with transaction(engine) as session:
        _, who = auth.require_role(session, actor, RECORDERS, "recording employment help")
        member = session.execute(select(Member).where(col(Member.member_number) == member_number)).scalar_one_or_none()
        if member is None:
            raise InputError("member_number", "is not a registered member")
        same = session.execute(select(col(EmploymentRecord.id)).where(
            col(EmploymentRecord.member_id) == member.id, col(EmploymentRecord.kind) == what,
            col(EmploymentRecord.happened_on) == happened_on, col(EmploymentRecord.detail) == about)).first()
        if same is not None:
            return False
        session.add(EmploymentRecord(member_id=member.id, kind=what, happened_on=happened_on,
                                     detail=about, recorded_by=who.staff_number, created_at=utcnow()))
        append_event(session, actor=who, action="employment_recorded", reason=f"{what.value} recorded",
                     payload={"member": member_number, "kind": what.value, "on": happened_on.isoformat()})
        return True
