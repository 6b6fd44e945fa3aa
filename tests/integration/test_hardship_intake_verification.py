"""Hardship intake and verification against a real database and the sample policy."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from models.cases import Approval, VerificationRecord
from models.enums import CaseStatus, MembershipStatus
from models.errors import InputError, RuleViolation, ValidationFailed
from models.intake import parse_application
from services import approvals, ledger
from services.cases import load_case
from services.db import transaction
from services.intake import add_documents
from services.registry_client import RegistryMember
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship, resident_id

LIVING_DOCS = ["application_form", "resident_id", "membership_proof", "household_register", "income_proof"]


@dataclass
class FakeRegistry:
    """The union's registry as a dict: what the HTTP registry would answer."""

    members: dict

    def lookup(self, member_number):
        return self.members.get(member_number)


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    from models.enums import CaseType

    ledger.add_programme("HA-MEDICAL", "Medical relief", CaseType.hardship, 2026, 5_000_000, engine=engine)
    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, 2025, 5_000_000, engine=engine)
    return engine


def registry_for(engine, status=MembershipStatus.active, tamper=False):
    from models.members import Member

    with transaction(engine) as s:
        members = s.execute(select(Member)).scalars().all()
        return FakeRegistry({m.member_number: RegistryMember(m.member_number, status, "G001", m.join_date, m.name,
                                                             ("0" * 64) if tamper else m.resident_id_hash)
                             for m in members})


def application(**changes):
    data = {
        "caseworker": "CW1", "applicant_member_number": "M0001", "resident_id": resident_id(seq=1),
        "category": "living_relief", "tier_claimed": "deep", "causes": [],
        "household": [{"name": "Applicant", "relation": "self", "monthly_income_yuan": "600"},
                      {"name": "Child", "relation": "child", "monthly_income_yuan": "0"}],
        "requested_amount_yuan": "1500", "reason": "income below the line since the factory closed",
        "documents_provided": LIVING_DOCS, "months_below_line": 8, "applied_on": "2026-03-02",
    }
    data.update(changes)
    return parse_application(data)


def test_a_valid_application_becomes_a_submitted_case_without_personal_data_in_its_facts(world):
    number = intake_hardship(application(), engine=world)
    with transaction(world) as s:
        case = load_case(s, number)
        from models.cases import HardshipDetail

        facts = s.get(HardshipDetail, case.id).facts
    assert case.status == CaseStatus.submitted and case.requested_fen == 150000
    assert facts["household_monthly_incomes_fen"] == [60000, 0]
    assert resident_id(seq=1) not in str(facts) and "Applicant" not in str(facts)


def test_an_id_that_does_not_match_the_member_is_refused_and_nothing_is_stored(world):
    with pytest.raises(InputError, match="resident_id: does not match"):
        intake_hardship(application(resident_id=resident_id(seq=2)), engine=world)
    with transaction(world) as s:
        from models.cases import Case

        assert s.execute(select(Case)).first() is None


def test_bad_fields_are_listed_by_name_without_their_values():
    with pytest.raises(ValidationFailed) as caught:
        application(requested_amount_yuan="12.345", household=[], category="lottery")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"requested_amount_yuan", "household", "category"}
    assert "12.345" not in str(caught.value)


def test_an_eligible_deep_hardship_case_passes_verification_and_stores_the_report(world):
    number = intake_hardship(application(), engine=world)
    outcome = verify_hardship(number, registry_for(world), engine=world)
    assert outcome.status == CaseStatus.awaiting_approval and outcome.passed
    assert f"### Hardship verification: {number}" in outcome.markdown  # the case, nothing of the applicant
    assert "110105" not in outcome.markdown and resident_id(seq=1) not in outcome.markdown
    with transaction(world) as s:
        record = s.execute(select(VerificationRecord)).scalar_one()
    assert record.policy_version == "2026.1" and record.passed
    assert {r["rule"] for r in record.results} >= {"membership_active", "per_capita_income", "required_documents"}


def test_missing_documents_ask_for_information_and_the_case_continues_when_they_arrive(world):
    number = intake_hardship(application(documents_provided=LIVING_DOCS[:3]), engine=world)
    outcome = verify_hardship(number, registry_for(world), engine=world)
    assert outcome.status == CaseStatus.needs_information
    assert set(outcome.missing_documents) == {"household_register", "income_proof"}
    assert add_documents(number, ["household_register", "income_proof"], actor=as_staff("CW1"), engine=world) == CaseStatus.verifying
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval


def failed_rules(engine, number):
    """The rules the stored verification report names as failed, and those its audit event names."""
    from models.audit import AuditEvent

    with transaction(engine) as s:
        case = load_case(s, number)
        record = s.execute(select(VerificationRecord).where(VerificationRecord.case_id == case.id)).scalar_one()
        event = s.execute(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.to_status == "rejected")
                          ).scalar_one()
    return [r["rule"] for r in record.results if not r["passed"]], event.payload["failed_rules"]


def test_income_above_the_line_is_rejected_with_the_rule_that_failed(world):
    number = intake_hardship(application(household=[{"name": "A", "relation": "self",
                                                      "monthly_income_yuan": "5000"}]), engine=world)
    outcome = verify_hardship(number, registry_for(world), engine=world)
    assert outcome.status == CaseStatus.rejected and not outcome.passed
    assert failed_rules(world, number) == (["per_capita_income"], ["per_capita_income"])
    assert "| per_capita_income | **failed** |" in outcome.markdown


def test_a_suspended_membership_or_a_mismatched_registry_id_fails_verification(world):
    first = intake_hardship(application(), engine=world)
    assert verify_hardship(first, registry_for(world, MembershipStatus.suspended), engine=world).status == CaseStatus.rejected
    assert failed_rules(world, first) == (["membership_active"], ["membership_active"])
    second = intake_hardship(application(), engine=world)
    assert verify_hardship(second, registry_for(world, tamper=True), engine=world).status == CaseStatus.rejected
    assert failed_rules(world, second) == (["resident_id_matches_registry"], ["resident_id_matches_registry"])


def test_a_second_application_of_the_same_category_in_the_same_year_is_refused_naming_the_first(world):
    first = intake_hardship(application(), engine=world)
    verify_hardship(first, registry_for(world), engine=world)
    approvals.approve_case(first, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=world)
    with pytest.raises(InputError) as refused:
        intake_hardship(application(applied_on="2026-09-01"), engine=world)
    assert str(refused.value) == (f"applicant_member_number: has a living_relief application for 2026 already: "
                                  f"{first} (approved); add documents to it, or withdraw it first")


def test_a_large_amount_needs_two_different_district_approvers(world):
    from models.enums import Role
    from services import org

    org.add_staff("AP2", "Approver Two", "D000", [Role.approver], 2_000_000, engine=world)
    number = intake_hardship(application(category="medical_relief", requested_amount_yuan="8000",
                                         documents_provided=LIVING_DOCS + ["diagnosis", "medical_invoices"],
                                         tier_claimed="deep"), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    with pytest.raises(RuleViolation, match="district approver"):
        approvals.approve_case(number, approver=as_staff("CW2"), amount_fen=250000, reason="ok", engine=world)
    first = approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="ok", engine=world)
    assert first.status == CaseStatus.awaiting_approval
    with pytest.raises(RuleViolation, match="approved already"):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="again", engine=world)
    with pytest.raises(InputError, match="same amount"):
        approvals.approve_case(number, approver=as_staff("AP2"), amount_fen=700000, reason="less", engine=world)
    second = approvals.approve_case(number, approver=as_staff("AP2"), amount_fen=800000, reason="agree", engine=world)
    assert (second.status, second.approved_fen) == (CaseStatus.approved, 800000)
    with transaction(world) as s:
        assert len(s.execute(select(Approval)).scalars().all()) == 2


def test_an_application_received_at_the_end_of_a_year_is_a_case_of_that_year_throughout(world):
    """The year is the local (Asia/Shanghai) date the application was received: the case number,
    the programme budget it draws on and the policy version all follow it, also when it is
    verified and approved in the new year."""
    from models.cases import Programme

    number = intake_hardship(application(applied_on="2025-12-31", documents_provided=LIVING_DOCS[:2]), engine=world)
    verify_hardship(number, registry_for(world), engine=world)
    add_documents(number, LIVING_DOCS, actor=as_staff("CW1"), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=world)
    with transaction(world) as s:
        case = load_case(s, number)
        programme = s.get(Programme, case.programme_id)
        versions = [r.policy_version for r in s.execute(select(VerificationRecord)
                                                        .order_by(VerificationRecord.id)).scalars()]
    assert number == "HA-2025-000001"
    assert (programme.code, programme.year) == ("HA-LIVING", 2025)
    assert versions == ["2025.1", "2025.1"]
    funds = {(row.programme, row.year): row.reserved_fen for row in ledger.funds(world)}
    assert (funds[("HA-LIVING", 2025)], funds[("HA-LIVING", 2026)]) == (150000, 0)
    assert intake_hardship(application(applied_on="2026-01-01"), engine=world) == "HA-2026-000001"
