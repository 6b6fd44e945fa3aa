"""Hardship verification: the registry over HTTP, the policy's rules, a stored report, a move.

Rules kept:
- Membership must be active in the union's registry and the registry's keyed ID hash must
  equal ours.
- The policy version in force on the day the application was received decides, and it is
  recorded. A re-verification (after missing documents arrive) uses the version recorded
  first, so a later policy change never changes a decision under way.
- Missing documents alone → needs_information, naming what is missing. Any other failed rule
  → rejected. All rules passed → awaiting_approval, and a case of a category the policy puts on
  public notice, outside a campaign, goes on a notice of its own (``services.notices``) in the
  same transaction: it is approved only after the notice has ended.
The report, its markdown (headed by the case number, nothing of the applicant) and the status
change commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models.cases import Case, HardshipDetail, VerificationRecord
from models.enums import CaseStatus
from models.errors import NotFound, RuleViolation
from models.hardship import GRANTED_STATUSES
from models.hardship_rules import (
    REQUIRED_DOCUMENTS,
    Application,
    Household,
    HouseholdIncome,
    PriorAid,
    RuleResult,
    SchoolFees,
    VerificationReport,
    evaluate,
    fixed_amount_fen,
)
from models.members import Member
from models.policy import Cause, HardshipPolicy, PolicyVersion, StudentLevel, load_policy
from services import households, notices
from services.cases import apply_transition, load_case
from services.db import transaction
from services.registry_client import MembershipRegistry
from services.settings import get_settings


@dataclass(frozen=True)
class VerificationOutcome:
    case_number: str
    status: CaseStatus
    passed: bool
    missing_documents: tuple[str, ...]
    markdown: str


def current_policy() -> HardshipPolicy:
    return load_policy(get_settings().policy_file)


def registry_results(registry: MembershipRegistry, member: Member) -> list[RuleResult]:
    found = registry.lookup(member.member_number)
    if found is None:
        return [RuleResult("membership_registered", False, "the member number is not in the union's registry")]
    return [
        RuleResult("membership_active", found.is_active,
                   "membership is active in the registry" if found.is_active
                   else f"membership is {found.status} in the registry"),
        RuleResult("resident_id_matches_registry", found.resident_id_hash == member.resident_id_hash,
                   "the resident ID matches the registry" if found.resident_id_hash == member.resident_id_hash
                   else "the resident ID does not match the registry's record"),
    ]


def _prior_aid(session: Session, case: Case, detail: HardshipDetail) -> list[PriorAid]:
    """Aid granted to the same household (or applicant, without a household file) before."""
    query = (select(Case, HardshipDetail).join(HardshipDetail, col(HardshipDetail.case_id) == Case.id)
             .where(col(Case.id) != case.id, col(Case.status).in_(GRANTED_STATUSES)))
    if detail.household_id is not None:
        query = query.where(col(HardshipDetail.household_id) == detail.household_id)
    else:
        query = query.where(col(Case.applicant_member_id) == case.applicant_member_id)
    aid = []
    for other, other_detail in session.execute(query).all():
        year = date.fromisoformat(other_detail.facts["applied_on"]).year if other_detail.facts.get("applied_on") else \
            other.submitted_at.year
        aid.append(PriorAid(other.category, other.approved_fen or other.requested_fen, year))
    return aid


#: The intake facts verification reads. ``services.intake.intake_facts`` writes every one of them
#: (``school_fees`` only when private-school fees were given); a case stored without one is refused.
INTAKE_FACTS = ("applied_on", "household_monthly_incomes_fen", "months_below_line", "hardship_spending_fen_per_year",
                "homes_owned", "migrant_worker", "months_employed_in_district",
                "student_level", "documents")


def _applied_on(case: Case, detail: HardshipDetail) -> date:
    facts = detail.facts
    missing = [key for key in INTAKE_FACTS if key not in facts]
    if missing:
        raise RuleViolation(f"case {case.case_number} was stored without the intake facts {', '.join(missing)}; "
                            "enter its application again")
    return date.fromisoformat(facts["applied_on"])


def _school_fees(facts: dict[str, Any], version: PolicyVersion) -> SchoolFees | None:
    """Private-school fees against the public-school fee of the student level: the policy's (a
    case stored before that was policy data carries the figure typed with it)."""
    fees = facts.get("school_fees")
    if not fees:
        return None
    public = fees.get("public_rate_fen_per_year")
    if public is None:
        level = facts.get("student_level")
        if level is None:
            raise RuleViolation("private-school fees were given without the student level they are compared at")
        public = version.exclusions.public_school_fees.for_level(StudentLevel(level))
    return SchoolFees(fees["private_fen_per_year"], public)


def _sudden_event(detail: HardshipDetail, version: PolicyVersion) -> Cause | None:
    """The kind of the case's sudden event. A case stored before events were recorded apart gave
    them among its causes: the first of those the version accepts stands for it."""
    if "sudden_event" in detail.facts:
        event = detail.facts["sudden_event"]
        return Cause(event["kind"]) if event else None
    return next((Cause(c) for c in detail.causes if c in version.tiers.accident.sudden_events), None)


def _documents_held(detail: HardshipDetail, version: PolicyVersion) -> list[str]:
    """The documents received, and the one a confirmed record of an oral application counts as
    under the policy (the written application form in the sample)."""
    held = list(detail.facts["documents"])
    counts_as = version.documents.oral_record_counts_as
    if detail.oral_application and (detail.facts.get("oral_record") or {}).get("confirmed") and counts_as:
        held.append(counts_as)
    return held


def _inputs(case: Case, detail: HardshipDetail, registered_on: date | None,
            version: PolicyVersion) -> tuple[Household, Application]:
    """The rules' inputs from the intake facts; whether the household is registered comes from
    the register (on the application date), not from the form. A fixed-amount category asks for
    the amount the version sets for the household as the register has it now."""
    facts = detail.facts
    applied_on = _applied_on(case, detail)
    household = Household(
        members=[HouseholdIncome(income) for income in facts["household_monthly_incomes_fen"]],
        months_below_line=facts["months_below_line"],
        hardship_spending_fen_per_year=facts["hardship_spending_fen_per_year"],
        homes_owned=facts["homes_owned"],
        registered_hardship_file=registered_on is not None and registered_on <= applied_on,
        school_fees=_school_fees(facts, version),
        declared_yearly_income_fen=facts.get("annual_household_income_fen"),
    )
    # Plain strings from the intake facts: Application.__post_init__ turns them into the enums.
    application = Application(
        category=case.category, tier_claimed=detail.tier_claimed, causes=detail.causes,  # type: ignore[arg-type]
        requested_fen=case.requested_fen, applied_on=applied_on, documents=_documents_held(detail, version),
        student_level=facts["student_level"] if not facts.get("students") else None,
        student_levels=tuple(student["level"] for student in facts.get("students") or ()),
        migrant_worker=facts["migrant_worker"],
        months_employed_in_district=facts["months_employed_in_district"],
        sudden_event=_sudden_event(detail, version),
    )
    fixed = fixed_amount_fen(household, application, version)
    if fixed:
        application = replace(application, requested_fen=fixed)
    return household, application


def _version_for(session: Session, case: Case, policy: HardshipPolicy, applied_on: date) -> PolicyVersion:
    first = session.execute(select(col(VerificationRecord.policy_version))
                            .where(col(VerificationRecord.case_id) == case.id)
                            .order_by(col(VerificationRecord.id)).limit(1)).scalar_one_or_none()
    return policy.version(first) if first else policy.version_on(applied_on)


def policy_version_for(session: Session, case: Case) -> PolicyVersion | None:
    """The policy version a hardship case is decided under: the one its first verification used,
    else the one in force on the day it was received. None for a case with no intake facts."""
    detail = session.get(HardshipDetail, case.id)
    if detail is None or not detail.facts.get("applied_on"):
        return None
    return _version_for(session, case, current_policy(), date.fromisoformat(detail.facts["applied_on"]))


def verify_hardship(case_number: str, registry: MembershipRegistry, *, policy: HardshipPolicy | None = None,
                    engine: Engine | None = None) -> VerificationOutcome:
    policy = policy or current_policy()
    with transaction(engine) as session:
        case = load_case(session, case_number)
        if case.status == CaseStatus.submitted:
            case = apply_transition(session, case, CaseStatus.verifying, actor="system", reason="verification started")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        if case.status != CaseStatus.verifying:
            raise RuleViolation(f"case {case_number} is {case.status.value}, not being verified")
        detail = session.get(HardshipDetail, case.id)
        member = session.get(Member, case.applicant_member_id)
        if detail is None or member is None:
            raise NotFound(f"case {case_number} has no hardship details")
        version = _version_for(session, case, policy, _applied_on(case, detail))
        household, application = _inputs(case, detail, households.registered_on(session, detail.household_id),
                                         version)
        prior = _prior_aid(session, case, detail)
    # The registry is asked outside any transaction: no database lock is held across HTTP.
    from_registry = registry_results(registry, member)
    report = evaluate(household, application, prior, version)
    report = VerificationReport(report.policy_version, report.policy_fingerprint, report.category, report.tier_claimed,
                                tuple(from_registry) + report.results, report.missing_documents)
    only_documents = all(r.passed or r.rule == REQUIRED_DOCUMENTS for r in report.results)
    if report.passed:
        to, why = CaseStatus.awaiting_approval, "all verification rules passed"
    elif report.missing_documents and only_documents:
        to, why = CaseStatus.needs_information, "missing documents: " + ", ".join(report.missing_documents)
    else:
        to, why = CaseStatus.rejected, "; ".join(r.reason for r in report.failed)[:1900]
    with transaction(engine) as session:
        case = load_case(session, case_number)
        session.add(VerificationRecord(case_id=case.id, policy_version=report.policy_version,  # type: ignore[arg-type]
                                       policy_fingerprint=report.policy_fingerprint, passed=report.passed,
                                       results=[r.__dict__ for r in report.results],
                                       missing_documents=list(report.missing_documents)))
        payload: dict[str, Any] = {"policy_version": report.policy_version, "passed": report.passed,
                                   "failed_rules": [r.rule for r in report.failed]}
        if case.requested_fen != application.requested_fen:  # a fixed amount, set by the policy and the register
            payload["requested_fen"] = {"from": case.requested_fen, "to": application.requested_fen}
            case.requested_fen = application.requested_fen
        apply_transition(session, case, to, actor="system", reason=why, expected_version=case.version,
                         payload=payload)
        if to == CaseStatus.awaiting_approval:
            notices.open_case_notice(session, case, version)
    return VerificationOutcome(case_number, to, report.passed, report.missing_documents, report.to_markdown(case_number))
