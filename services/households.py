"""The hardship household register (困难职工建档): one file per household, with its tier.

The register decides who seasonal relief (冬送温暖 / 夏送清凉) pays and which student-aid
amounts apply, so every change to it is made by a named staff member, with a reason, in one
transaction with its audit event.

Rules kept:
- Only caseworkers and supervisors change the register; staff of a grassroots union only for
  households of their own unit, district staff for any household.
- A reason is always required. Evidence may be a hardship case of the same household whose
  latest verification passed for the same tier; otherwise the reason names the paper file.
- The registration date is never in the future (a date in the past is for carrying over a
  paper register).
- Registering the tier a household already has changes nothing; another tier is a change (the
  day it entered the register stays), and leaving the register (脱困) clears it. The audit
  trail keeps the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models.cases import Case, HardshipDetail, VerificationRecord
from models.enums import CaseType, Role, UnitLevel
from models.errors import FieldProblem, InputError, NotFound, RuleViolation, shown_code
from models.identity import Actor, Verified
from models.members import Household, HouseholdMember, Member
from models.org import Unit
from models.policy import Tier
from services import auth
from services.audit import append_event
from services.db import transaction
from services.settings import local_today

REGISTER_ROLES = frozenset({Role.caseworker, Role.supervisor})


@dataclass(frozen=True)
class RegisterEntry:
    household_number: str
    unit: str
    tier: Tier | None
    registered_on: date | None
    self_member: str | None  # member number of the household's 'self' member
    people: int


def find_household(session: Session, household_number: str) -> Household:
    household = session.execute(select(Household).where(col(Household.household_number) == household_number)
                                ).scalar_one_or_none()
    if household is None:
        raise NotFound(f"household {shown_code(household_number)} does not exist")
    return household


def acting_for_household(session: Session, actor: Actor, household: Household,
                         doing: str = "changing the hardship register") -> Verified:
    """The caseworker or supervisor, proved, who may act for this household (their own unit's
    households; district staff any)."""
    staff, who = auth.require_role(session, actor, REGISTER_ROLES, doing)
    unit = session.get(Unit, staff.unit_id)
    if unit is None:
        raise NotFound(f"unit of staff member {staff.staff_number} does not exist")
    if unit.level != UnitLevel.district and unit.id != household.unit_id:
        raise RuleViolation(f"staff member {staff.staff_number} belongs to {unit.code}: {doing} is for "
                            "households of that unit only")
    return who


def _check_evidence(session: Session, household: Household, tier: Tier, case_number: str) -> None:
    row = session.execute(select(Case, HardshipDetail).join(HardshipDetail, col(HardshipDetail.case_id) == Case.id)
                          .where(col(Case.case_number) == case_number)).first()
    if row is None or row[0].case_type != CaseType.hardship:
        raise NotFound(f"hardship case {case_number} does not exist")
    case, detail = row
    if detail.household_id != household.id:
        raise RuleViolation(f"case {case_number} is not a case of household {household.household_number}")
    if detail.tier_claimed != tier.value:
        raise RuleViolation(f"case {case_number} claims the {detail.tier_claimed} tier, not {tier.value}")
    passed = session.execute(select(col(VerificationRecord.passed)).where(col(VerificationRecord.case_id) == case.id)
                             .order_by(col(VerificationRecord.id).desc()).limit(1)).scalar_one_or_none()
    if not passed:
        raise RuleViolation(f"case {case_number} has not passed verification")


def register(household_number: str, tier: Tier | str, *, actor: Actor, reason: str, case_number: str | None = None,
             registered_on: date | None = None, engine: Engine | None = None) -> str:
    """Put a household in the register at a tier, or move it to another tier. Returns what was done."""
    try:
        tier = Tier(tier)
    except ValueError:
        raise InputError("tier", f"must be one of {', '.join(t.value for t in Tier)}") from None
    if not reason.strip():
        raise InputError("reason", "is required: name the evidence (a case number or the paper file)")
    if registered_on is not None and registered_on > local_today():
        raise InputError("registered_on", "must not be in the future")
    with transaction(engine) as session:
        household = find_household(session, household_number)
        who = acting_for_household(session, actor, household)
        if case_number:
            _check_evidence(session, household, tier, case_number)
        previous = household.hardship_tier
        if previous == tier.value:
            return f"household {household_number} is already registered as {tier.value}"
        # A household entering the register enters it today unless told otherwise; a change of
        # tier keeps the day it entered.
        registered_on = registered_on or (household.registered_on if previous else None) or local_today()
        household.hardship_tier = tier.value
        household.registered_on = registered_on
        session.add(household)
        append_event(session, actor=who, action="household_registered" if previous is None else "household_tier_changed",
                     reason=reason, payload={"household": household_number, "tier": tier.value,
                                             "previous_tier": previous, "registered_on": registered_on.isoformat(),
                                             "evidence_case": case_number})
    if previous is None:
        return f"household {household_number} registered as {tier.value} from {registered_on.isoformat()}"
    return f"household {household_number} moved from {previous} to {tier.value} from {registered_on.isoformat()}"


def deregister(household_number: str, *, actor: Actor, reason: str, engine: Engine | None = None) -> str:
    """Take a household off the register (脱困, or a file closed). Returns what was done."""
    if not reason.strip():
        raise InputError("reason", "is required: say why the household leaves the register")
    with transaction(engine) as session:
        household = find_household(session, household_number)
        who = acting_for_household(session, actor, household)
        previous = household.hardship_tier
        if previous is None:
            return f"household {household_number} is not in the register"
        household.hardship_tier = None
        household.registered_on = None
        session.add(household)
        append_event(session, actor=who, action="household_deregistered", reason=reason,
                     payload={"household": household_number, "previous_tier": previous})
    return f"household {household_number} left the register (was {previous})"


def registered_on(session: Session, household_id: int | None) -> date | None:
    """The day the household entered the register, or None when it is not registered."""
    if household_id is None:
        return None
    household = session.get(Household, household_id)
    return household.registered_on if household is not None and household.hardship_tier else None


def list_register(*, tier: Tier | None = None, unit_code: str | None = None, include_unregistered: bool = False,
                  engine: Engine | None = None) -> list[RegisterEntry]:
    """The register (or every household), by household number; no personal data."""
    with transaction(engine) as session:
        people = (select(col(HouseholdMember.household_id), func.count().label("people"))
                  .group_by(col(HouseholdMember.household_id)).subquery())
        query = (select(Household, col(Unit.code), people.c.people).join(Unit, col(Unit.id) == Household.unit_id)
                 .outerjoin(people, people.c.household_id == Household.id).order_by(Household.household_number))
        if tier is not None:
            query = query.where(col(Household.hardship_tier) == tier.value)
        elif not include_unregistered:
            query = query.where(col(Household.hardship_tier).is_not(None))
        if unit_code:
            query = query.where(col(Unit.code) == unit_code)
        selves = dict(session.execute(
            select(col(HouseholdMember.household_id), col(Member.member_number))
            .join(Member, col(Member.id) == HouseholdMember.member_id)
            .where(col(HouseholdMember.relation) == "self").order_by(col(HouseholdMember.id).desc())).all())
        return [RegisterEntry(household.household_number, code, Tier(household.hardship_tier) if household.hardship_tier
                              else None, household.registered_on, selves.get(household.id), int(count or 0))
                for household, code, count in session.execute(query).all()]


REGISTER_COLUMNS = ("household_number", "tier", "reason")
REGISTER_OPTIONAL = ("since", "case")


@dataclass
class RegisterImport:
    changed: list[str] = field(default_factory=list)  # what was done, a line per household
    unchanged: int = 0  # already registered at that tier (a file imported twice)
    problems: list[FieldProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def import_register(path: Path, *, actor: Actor, engine: Engine | None = None) -> RegisterImport:
    """Carry a register over from a file (CSV or JSON): columns household_number, tier, reason,
    and optionally since (YYYY-MM-DD) and case. Each row is registered on its own with the same
    rules as ``register``; a bad row is reported by row and field and the others go on. Importing
    the same file again changes nothing."""
    from services.member_import import read_rows

    rows, unknown = read_rows(path, REGISTER_COLUMNS, REGISTER_OPTIONAL, json_key="households")
    actor = auth.proven(actor, engine=engine)  # one code for the whole file, used once
    report = RegisterImport(ignored_columns=unknown)
    for number, row in enumerate(rows, start=2 if path.suffix.lower() == ".csv" else 1):
        household = str(row.get("household_number") or "").strip()
        since = str(row.get("since") or "").strip()
        try:
            if not household:
                raise InputError("household_number", "is required")
            try:
                registered_on = date.fromisoformat(since) if since else None
            except ValueError:
                raise InputError("since", "must be a date as YYYY-MM-DD") from None
            said = register(household, str(row.get("tier") or "").strip(), actor=actor,
                            reason=str(row.get("reason") or ""), case_number=str(row.get("case") or "").strip() or None,
                            registered_on=registered_on, engine=engine)
        except InputError as exc:
            report.problems.append(FieldProblem(exc.problem_detail.field, exc.problem_detail.problem, number))
        except (RuleViolation, NotFound) as exc:
            report.problems.append(FieldProblem("refused", str(exc), number))
        else:
            if "already registered" in said:
                report.unchanged += 1
            else:
                report.changed.append(said)
    return report
