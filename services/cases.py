"""Opening cases and moving them through the lifecycle.

Rule kept: a transition is one transaction — the guarded status change (``WHERE status = from
AND version = read version``), its audit event and whatever rows the move implies (``effects``)
commit together or not at all. Of concurrent attempts on one case exactly one wins; the others
get ``StaleCase`` (or ``TransitionRefused`` when they read the case after the winner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from models.cases import Case, CaseNumberCounter
from models.enums import CaseStatus, CaseType, MembershipStatus, Role
from models.errors import GuardRefused, InputError, NoSuchMove, NotFound, RuleViolation, StaleCase, shown_code
from models.identity import Actor, Verified
from models.members import Member
from models.org import Staff, Unit
from models.time import utcnow
from models.transitions import SYSTEM_ACTOR, Transition, find_transition, refusal
from services import auth, deadlines, ledger
from services.audit import append_event
from services.db import transaction
from services.guards import guard_refusal
from services.moves import Audit, move
from services.settings import get_settings

Effects = Callable[[Session, Case], None]


@dataclass(frozen=True)
class ActingAs:
    label: str  # staff number or "system", as written to the audit trail
    staff_id: int | None
    roles: frozenset[Role] | None  # None: the system (a flow) is acting
    verified: Verified | None = None  # how the person proved who they are

    @property
    def audit_actor(self) -> str | Verified:
        """Who the audit trail names, with how they proved it when a person."""
        return self.verified or self.label


def resolve_actor(session: Session, actor: Actor) -> ActingAs:
    """The system, or the active staff member whose claim ``services.auth`` accepts; a bare
    staff number is refused (``NotAuthenticated``)."""
    verified = auth.identify(session, actor)
    if verified is None:
        return ActingAs(SYSTEM_ACTOR, None, None)
    staff = session.execute(select(Staff).where(col(Staff.staff_number) == verified.staff_number)).scalar_one_or_none()
    if staff is None:
        raise NotFound(f"staff member {verified.staff_number} does not exist")
    if not staff.active:
        raise RuleViolation(f"staff member {verified.staff_number} is not active")
    return ActingAs(staff.staff_number, staff.id, staff.role_set, verified)


def next_case_number(session: Session, case_type: CaseType, year: int) -> str:
    """Readable, gap-free numbers per type and year: ``HA-2026-000123``. The counter row is
    updated in the caller's transaction, so concurrent intakes queue on it."""
    prefix = case_type.prefix
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CaseNumberCounter).values(prefix=prefix, year=year, last_number=0).on_conflict_do_nothing()
    )
    number = session.execute(
        update(CaseNumberCounter)
        .where(col(CaseNumberCounter.prefix) == prefix, col(CaseNumberCounter.year) == year)
        .values(last_number=CaseNumberCounter.last_number + 1)
        .returning(col(CaseNumberCounter.last_number))
    ).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def open_case(
    *,
    case_type: CaseType,
    category: str,
    applicant_member_number: str | None,
    requested_fen: int,
    submitted_by: Actor,
    details: SQLModel | None = None,
    programme_code: str | None = None,
    reason: str = "",
    engine: Engine | None = None,
    local_year: int | None = None,
    unit: str | None = None,
    received_on: date | None = None,
) -> Case:
    """Intake: the case, its per-type details and the 'submitted' audit event, in one transaction."""
    with transaction(engine) as session:
        return create_case(session, case_type=case_type, category=category,
                           applicant_member_number=applicant_member_number, requested_fen=requested_fen,
                           submitted_by=submitted_by, details=details, programme_code=programme_code, reason=reason,
                           local_year=local_year, unit=unit, received_on=received_on)


def create_case(
    session: Session,
    *,
    case_type: CaseType,
    category: str,
    applicant_member_number: str | None,
    requested_fen: int,
    submitted_by: Actor,
    details: SQLModel | None = None,
    programme_code: str | None = None,
    reason: str = "",
    local_year: int | None = None,
    unit: str | None = None,
    received_on: date | None = None,
) -> Case:
    """``open_case`` in the caller's transaction. The case belongs to the applicant's unit, or to
    ``unit`` (a unit code: the body that handles it, e.g. a mediation station); an applicant who is
    not a member (a worker in mediation) is ``None``, and then ``unit`` is required. Its clocks
    start on ``received_on`` (default: today)."""
    if requested_fen < 0:
        raise InputError("requested_amount", "must not be negative")
    acting = resolve_actor(session, submitted_by)
    if acting.roles is None or acting.staff_id is None:
        raise RuleViolation("cases are submitted by a staff member, not by the system")
    if Role.caseworker not in acting.roles:
        raise RuleViolation(f"staff member {acting.label} needs the caseworker role to submit cases")
    member = None
    if applicant_member_number is not None:
        member = session.execute(
            select(Member).where(col(Member.member_number) == applicant_member_number)
        ).scalar_one_or_none()
        if member is None:
            raise NotFound(f"member {shown_code(applicant_member_number)} does not exist")
        if member.status != MembershipStatus.active:
            raise RuleViolation(f"member {applicant_member_number} is not an active member ({member.status.value})")
    if unit is not None:
        unit_id = session.execute(select(col(Unit.id)).where(col(Unit.code) == unit)).scalar_one_or_none()
        if unit_id is None:
            raise NotFound(f"unit {shown_code(unit)} does not exist")
    elif member is not None:
        unit_id = member.unit_id
    else:
        raise InputError("unit", "is required for an applicant who is not a member")
    now = utcnow()
    year = local_year or now.astimezone(get_settings().zone).year
    programme_id = None
    if programme_code:
        programme = ledger.find_programme(session, programme_code, year)
        if programme.case_type != case_type:
            raise InputError("programme", f"{programme_code} is for {programme.case_type.value} cases")
        programme_id = programme.id
    case = Case(
        case_number=next_case_number(session, case_type, year),
        case_type=case_type,
        category=category,
        status=CaseStatus.submitted,
        applicant_member_id=member.id if member is not None else None,
        unit_id=unit_id,
        programme_id=programme_id,
        requested_fen=requested_fen,
        submitted_by_staff_id=acting.staff_id,
        submitted_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    if details is not None:
        details.case_id = case.id
        session.add(details)
    append_event(
        session,
        actor=acting.audit_actor,
        action="submit",
        case_id=case.id,
        case_number=case.case_number,
        to_status=CaseStatus.submitted.value,
        reason=reason,
        payload={"case_type": case_type.value, "category": category, "requested_fen": requested_fen},
    )
    deadlines.on_case_entering(session, case, CaseStatus.submitted, now, started_on=received_on)
    session.flush()
    return case


def transition_case(
    case_number: str,
    to_status: CaseStatus,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    payload: dict[str, Any] | None = None,
    effects: Effects | None = None,
    engine: Engine | None = None,
) -> Case:
    """Move a case to ``to_status`` as ``actor`` (a staff member who proves it, or ``system``)."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        return apply_transition(session, case, to_status, actor=actor, reason=reason,
                                expected_version=expected_version, payload=payload, effects=effects)


def apply_transition(
    session: Session,
    case: Case,
    to_status: CaseStatus,
    *,
    actor: Actor,
    reason: str,
    expected_version: int | None = None,
    payload: dict[str, Any] | None = None,
    effects: Effects | None = None,
) -> Case:
    """The transition inside a transaction the caller owns (for services that add more rows)."""
    from_status, version = case.status, case.version
    if expected_version is not None and expected_version != version:
        raise StaleCase(case.case_number, from_status.value, expected_version)
    rule, acting = authorize(session, case, to_status, actor)
    require_guards(session, case, to_status)
    now = utcnow()

    def after() -> None:
        ledger.on_case_transition(session, case, from_status, to_status)
        deadlines.on_case_entering(session, case, to_status, now)
        if effects is not None:
            effects(session, case)

    audit = Audit(acting.audit_actor, rule.action, reason, case.id, case.case_number, payload)
    if not move(session, case, to_status, at=now, audit=audit, versioned=True,
                values={"closed_at": now} if rule.terminal else None, effects=after):
        raise StaleCase(case.case_number, from_status.value, version)
    session.flush()
    return case


def require_guards(session: Session, case: Case, to_status: CaseStatus) -> None:
    """Refuse the move when one of the guards its row names holds it (``services.guards``); a
    move the table does not list has no guards (``authorize`` refuses it)."""
    rule = find_transition(case.case_type, case.status, to_status)
    held = guard_refusal(session, case, rule) if rule is not None else None
    if held is not None:
        raise GuardRefused(case.case_number, case.status.value, to_status.value, held[1], held[0])


def authorize(session: Session, case: Case, to_status: CaseStatus, actor: Actor) -> tuple[Transition, ActingAs]:
    """The transition rule for this move by this actor, or the refusal that names why not."""
    acting = resolve_actor(session, actor)
    rule = find_transition(case.case_type, case.status, to_status)
    refused = refusal(rule, case.case_type, case.status, acting.roles,
                      acting.staff_id is not None and acting.staff_id == case.submitted_by_staff_id)
    if refused is not None or rule is None:
        error, why = refused or (NoSuchMove, "not allowed")
        raise error(case.case_number, case.status.value, to_status.value, why,
                    rule.action if rule is not None else "transition_table")
    return rule, acting


def load_case(session: Session, case_number: str) -> Case:
    case = session.execute(select(Case).where(col(Case.case_number) == case_number)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"case {shown_code(case_number)} does not exist")
    return case


def unit_code(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} does not exist")
    return unit.code
