"""Hardship intake: a validated application becomes a case; from here on runs carry its number.

Rules kept: the resident ID must be valid and match the applicant's registered ID (compared by
keyed hash); amounts are exact fen; nothing is stored when anything is wrong. What verification
needs is kept as facts on the case (incomes, documents, tier facts), without names or IDs.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models.cases import Case, HardshipDetail
from models.enums import CaseStatus, CaseType, MembershipStatus, Role
from models.errors import InputError, NotFound, RuleViolation, field_path
from models.hardship import PROGRAMME_BY_CATEGORY
from models.identifiers import parse_resident_id
from models.identity import Actor, actor_label
from models.intake import HardshipApplication, HouseholdPerson
from models.members import Household, Member
from models.money import parse_yuan
from models.org import Staff
from models.policy import FIXED_AMOUNT_CATEGORIES, Document
from models.time import utcnow
from services import auth, households, ledger, pii
from services.audit import append_event
from services.cases import load_case, open_case, transition_case
from services.db import transaction
from services.settings import get_settings

DOCUMENT_ROLES = frozenset({Role.caseworker, Role.supervisor})  # who records documents received


def _fen(value: Any, field: str) -> int:
    return parse_yuan(str(value), field)


def intake_facts(form: HardshipApplication, applied_on: date) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "applied_on": applied_on.isoformat(),
        "category": form.category.value,
        "household_monthly_incomes_fen": [_fen(p.monthly_income_yuan, "household.monthly_income_yuan")
                                          for p in form.household],
        "household_relations": [p.relation for p in form.household],
        "months_below_line": form.months_below_line,
        "hardship_spending_fen_per_year": _fen(form.hardship_spending_yuan_per_year, "hardship_spending_yuan_per_year"),
        "homes_owned": form.homes_owned,
        "migrant_worker": form.migrant_worker,
        "months_employed_in_district": form.months_employed_in_district,
        "student_level": _first_level(form),
        "documents": sorted({kind.value for kind in form.documents_provided}),
    }
    if form.students:  # each student's level and grade; names and schools only encrypted
        facts["students"] = [{"level": st.level.value, "grade": st.grade} for st in form.students]
        facts["students_sealed"] = pii.seal_text(json.dumps([{"name": st.name, "school": st.school}
                                                             for st in form.students], ensure_ascii=False))
    # What verification and the household file may read of each person: no names, IDs only as keyed hashes.
    facts["household_people"] = [{"relation": p.relation, "disability": p.disability, "employment": p.employment,
                                  "birth_year": _birth_year(p)} for p in form.household]
    facts["household_id_hashes"] = [pii.hash_identifier(p.resident_id) for p in form.household if p.resident_id]
    if form.annual_household_income_yuan is not None:
        facts["annual_household_income_fen"] = _fen(form.annual_household_income_yuan, "annual_household_income_yuan")
    # Recorded for every new case, None without one: a case stored before events had a date has no key.
    facts["sudden_event"] = ({"kind": form.sudden_event.kind.value, "on": form.sudden_event.happened_on.isoformat()}
                             if form.sudden_event else None)
    if form.oral_record is not None:  # what the record is, without what it says
        facts["oral_record"] = {"recorded_at": form.oral_record.recorded_at.isoformat(),
                                "recorded_by": form.oral_record.recorded_by.strip(),
                                "confirmed": form.oral_record.applicant_confirmed}
    if form.private_school_fees_yuan_per_year is not None:
        # Compared at verification with the policy's public-school fee for the student level.
        facts["school_fees"] = {
            "private_fen_per_year": _fen(form.private_school_fees_yuan_per_year, "private_school_fees_yuan_per_year"),
        }
    return facts


def _first_level(form: HardshipApplication) -> str | None:
    """The student level the rules read one of: the form's, or its first student's."""
    if form.student_level:
        return form.student_level.value
    return form.students[0].level.value if form.students else None


def _birth_year(person: HouseholdPerson) -> int | None:
    if person.resident_id:
        return parse_resident_id(person.resident_id).birth_date.year
    return person.birth_date.year if person.birth_date else None


def _check_household_number(session: Session, form: HardshipApplication, member: Member) -> None:
    """A household number on the form must be the applicant's household in our records."""
    if not form.household_number:
        return
    ours = session.get(Household, member.household_id) if member.household_id else None
    if ours is None:
        raise InputError("household_number", "the applicant has no household in our records; leave it empty")
    if ours.household_number != form.household_number.strip():
        raise InputError("household_number", f"is not the applicant's household ({ours.household_number} in our "
                                             "records)")


def _requested_fen(session: Session, form: HardshipApplication, household_id: int | None, applied_on: date) -> int:
    """What the application asks for: the amount typed, or for a fixed-amount category the amount
    the policy in force on the day it was received sets (by level and register, or by tier).
    Verification sets it again from the register as it is then."""
    if form.category not in FIXED_AMOUNT_CATEGORIES:
        return _fen(form.requested_amount_yuan, "requested_amount_yuan")
    from services.verification import current_policy

    try:
        version = current_policy().version_on(applied_on)
    except InputError:
        raise InputError("applied_on", "falls before every version of the hardship policy") from None
    registered = households.registered_on(session, household_id)
    amount = version.categories.fixed_amount_fen(form.category, tier=form.tier_claimed, level=form.student_level,
                                                 registered=registered is not None and registered <= applied_on,
                                                 levels=tuple(st.level for st in form.students))
    if not amount:
        field = "students" if form.students else "category"
        raise InputError(field, f"policy version {version.version} sets no {form.category.value} amount for this "
                                "level of schooling" if form.students else
                                f"policy version {version.version} sets no amount for {form.category.value}")
    return amount


def refuse_unknown_recorder(session: Session, staff_number: str) -> None:
    staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one_or_none()
    if staff is None or not staff.active:
        raise InputError("oral_record.recorded_by", "must be the staff number of an active staff member")


def _sealed_record(form: HardshipApplication) -> str | None:
    """The oral record as it was taken down, for the case file: encrypted (``cases text`` shows it)."""
    if form.oral_record is None:
        return None
    return pii.seal_text(json.dumps(form.oral_record.model_dump(mode="json"), ensure_ascii=False))


def _refuse_duplicate(session: Session, member: Member, category: str, applied_on: date) -> None:
    """One application per member, category and year: the same application twice (in one file,
    or in two) is refused by field, naming the case it repeats. A rejected or withdrawn one
    does not count: the member may apply again."""
    earlier = session.execute(
        select(col(Case.case_number), col(Case.status), col(HardshipDetail.facts))
        .join(HardshipDetail, col(HardshipDetail.case_id) == Case.id)
        .where(col(Case.applicant_member_id) == member.id, col(Case.category) == category,
               col(Case.status).not_in((CaseStatus.rejected, CaseStatus.withdrawn)))
        .order_by(col(Case.id))).all()
    for number, status, facts in earlier:
        if str((facts or {}).get("applied_on", ""))[:4] == str(applied_on.year):
            raise InputError("applicant_member_number",
                             f"has a {category} application for {applied_on.year} already: {number} "
                             f"({getattr(status, 'value', status)}); add documents to it, or withdraw it first")


def intake_hardship(form: HardshipApplication, submitted_by: Actor, *, engine: Engine | None = None) -> str:
    """Store the application as a submitted case, submitted by the caseworker who proves who they
    are (the form's caseworker); return its case number."""
    if actor_label(submitted_by) != form.caseworker.strip():
        raise InputError("caseworker", "must be the staff member who submits the application (--as)")
    resident = parse_resident_id(form.resident_id)
    now = utcnow()
    today = now.astimezone(get_settings().zone).date()
    recorded = form.oral_record.recorded_at if form.oral_record is not None else None
    if recorded is not None and recorded > now:
        raise InputError("oral_record.recorded_at", "is in the future: give the time the application was recorded")
    applied_on = form.applied_on or (recorded.astimezone(get_settings().zone).date() if recorded else today)
    if applied_on > today:
        raise InputError("applied_on", "is in the future: give the day the application was received")
    if form.sudden_event is not None and form.sudden_event.happened_on > applied_on:
        raise InputError("sudden_event.happened_on", "is after the application was received")
    facts = intake_facts(form, applied_on)
    with transaction(engine) as session:
        member = session.execute(
            select(Member).where(col(Member.member_number) == form.applicant_member_number)
        ).scalar_one_or_none()
        if member is None:
            raise InputError("applicant_member_number", "is not a registered member")
        if member.status != MembershipStatus.active:
            raise InputError("applicant_member_number", f"is not an active member ({member.status.value}): "
                                                        "check the member's record")
        if member.resident_id_hash != pii.hash_identifier(resident.number):
            raise InputError("resident_id", "does not match the ID registered for this member")
        if form.oral_record is not None:
            refuse_unknown_recorder(session, form.oral_record.recorded_by.strip())
        household_id = member.household_id
        _check_household_number(session, form, member)
        _refuse_duplicate(session, member, form.category.value, applied_on)
        requested_fen = _requested_fen(session, form, household_id, applied_on)
        programme = PROGRAMME_BY_CATEGORY[form.category]
        try:
            ledger.find_programme(session, programme, applied_on.year)
        except NotFound:
            raise InputError("applied_on", f"falls in {applied_on.year}, for which there is no {programme} programme; "
                                           "check the date, or a finance officer adds the programme") from None
    case = open_case(
        case_type=CaseType.hardship, category=form.category.value, applicant_member_number=form.applicant_member_number,
        requested_fen=requested_fen, submitted_by=submitted_by, programme_code=PROGRAMME_BY_CATEGORY[form.category],
        local_year=applied_on.year, engine=engine,
        reason="oral application recorded" if form.oral_application else "written application",
        # case_id is set by open_case once the case row exists; SQLModel table models do not validate
        # on construction, but the typed __init__ asks for every field without a default.
        details=HardshipDetail(  # type: ignore[call-arg]
            household_id=household_id, tier_claimed=form.tier_claimed.value,
            causes=[c.value for c in form.causes], reason=pii.seal_text(form.reason),
            oral_application=form.oral_application, oral_record=_sealed_record(form), facts=facts),
    )
    return case.case_number


def add_documents(case_number: str, kinds: list[str], *, actor: Actor, engine: Engine | None = None) -> CaseStatus:
    """Staff record documents received. A case waiting for information goes back to verification.

    Rules kept: kinds are the document kinds the policy names (``models.policy.Document``: what
    verification compares with the required ones), and only an active caseworker or supervisor who proves who they are records them.
    """
    cleaned = sorted({k.strip() for k in kinds if k.strip()})
    if not cleaned:
        raise InputError("documents", "name at least one document kind, e.g. income_proof")
    unknown = [kind for kind in cleaned if kind not in Document.__members__]
    if unknown:
        shown = ", ".join(field_path((kind,)) for kind in unknown[:3])  # typed by a person: a value is never repeated
        raise InputError("documents", f"{shown} is not a document kind; the kinds are "
                                      + ", ".join(d.value for d in Document))
    with transaction(engine) as session:
        _, who = auth.require_role(session, actor, DOCUMENT_ROLES, "recording documents")
        case = load_case(session, case_number)
        detail = session.get(HardshipDetail, case.id)
        if detail is None:
            raise NotFound(f"case {case_number} is not a hardship case")
        if case.status not in (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.needs_information):
            raise RuleViolation(f"case {case_number} is {case.status.value}: documents are added before a decision")
        facts = dict(detail.facts)
        facts["documents"] = sorted(set(facts.get("documents", [])) | set(cleaned))
        detail.facts = facts
        session.add(detail)
        append_event(session, actor=who, action="documents_added", case_id=case.id, case_number=case_number,
                     payload={"documents": cleaned})
        waiting = case.status == CaseStatus.needs_information
    if waiting:
        transition_case(case_number, CaseStatus.verifying, actor=who, reason="documents received: " + ", ".join(cleaned),
                        engine=engine)
        return CaseStatus.verifying
    return case.status
