"""What verification reads from the stored case: every intake fact reaches its rule, and the aid
a household was given before is counted by household, by the year the application was received,
and at the amount approved."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from models.cases import Case, HardshipDetail, VerificationRecord
from models.enums import CaseStatus, CaseType
from models.errors import NotFound, RuleViolation
from models.policy import load_policy
from services import approvals, ledger
from services.audit import case_history
from services.cases import load_case
from services.db import transaction
from services.settings import get_settings
from services.verification import INTAKE_FACTS, verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship, resident_id
from tests.integration.test_hardship_intake_verification import LIVING_DOCS, application, failed_rules, registry_for

MEDICAL_DOCS = [*LIVING_DOCS, "diagnosis", "medical_invoices"]


@pytest.fixture
def world(engine, tmp_path):
    """M0001 and M0002 share household H001; M0003 is in H002. Budgets for 2025 and 2026."""
    factories.organisation(engine)
    factories.household_members(engine, tmp_path)
    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, 2025, 5_000_000, engine=engine)
    ledger.add_programme("HA-MEDICAL", "Medical relief", CaseType.hardship, 2026, 5_000_000, engine=engine)
    return engine


def of(member: int, **changes):
    """An application by member M000<member>, with that member's own resident ID."""
    return application(applicant_member_number=f"M{member:04d}", resident_id=resident_id(seq=member), **changes)


def verified(engine, form, policy=None):
    number = intake_hardship(form, engine=engine)
    return number, verify_hardship(number, registry_for(engine), policy=policy, engine=engine).status


def granted(engine, form, amount_fen=None):
    number, status = verified(engine, form)
    assert status == CaseStatus.awaiting_approval
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=amount_fen or form_fen(form), reason="ok", engine=engine)
    return number


def form_fen(form):
    return int(form.requested_amount_yuan) * 100


def edit_stored_case(engine, number, *, drop_facts=(), submitted_at=None):
    """A row changed in the database, as an older version of unionaid would have written it."""
    with transaction(engine) as s:
        case = load_case(s, number)
        detail = s.get(HardshipDetail, case.id)
        detail.facts = {k: v for k, v in detail.facts.items() if k not in drop_facts}
        s.add(detail)
        if submitted_at is not None:
            s.execute(update(Case).where(Case.id == case.id).values(submitted_at=submitted_at))


def test_aid_to_the_same_household_counts_as_prior_aid_and_aid_to_another_household_does_not(world):
    granted(world, of(3))  # household H002
    first = granted(world, of(1))  # household H001: H002's aid is not its aid
    second, status = verified(world, of(2, applied_on="2026-06-01"))  # H001 again
    assert status == CaseStatus.rejected
    assert failed_rules(world, second)[0] == ["no_double_aid"]
    assert first != second


def test_prior_aid_counts_in_the_year_its_application_was_received_not_the_year_it_was_keyed_in(world):
    december = granted(world, of(1, applied_on="2025-12-31"))
    edit_stored_case(world, december, submitted_at=datetime(2026, 1, 4, 2, 0, tzinfo=UTC))  # keyed in after New Year
    _, status = verified(world, of(2, applied_on="2026-03-02"))
    assert status == CaseStatus.awaiting_approval


def test_prior_aid_stored_without_an_application_date_counts_in_the_year_it_was_submitted(world):
    older = granted(world, of(1))
    edit_stored_case(world, older, drop_facts=("applied_on",), submitted_at=datetime(2026, 5, 6, 2, 0, tzinfo=UTC))
    number, status = verified(world, of(2, applied_on="2026-06-01"))
    assert status == CaseStatus.rejected and failed_rules(world, number)[0] == ["no_double_aid"]


def test_the_yearly_cap_counts_what_was_approved_before_not_what_was_asked(world, tmp_path):
    sample = get_settings().policy_file.read_text(encoding="utf-8")
    assert sample.count("yearly_cap_yuan = 20000") == 2
    path = tmp_path / "policy.toml"
    path.write_text(sample.replace("yearly_cap_yuan = 20000", "yearly_cap_yuan = 4000"), encoding="utf-8")
    policy = load_policy(path)
    granted(world, of(1, requested_amount_yuan="3000"), amount_fen=100000)  # asked 3,000, approved 1,000
    medical = of(2, category="medical_relief", requested_amount_yuan="2500", applied_on="2026-06-01",
                 documents_provided=MEDICAL_DOCS)
    _, status = verified(world, medical, policy=policy)  # 1,000 + 2,500 is within 4,000; 3,000 + 2,500 is not
    assert status == CaseStatus.awaiting_approval


@pytest.mark.parametrize(("private_yuan", "passes"), [("3200", True), ("3200.01", False)])
def test_private_school_fees_above_twice_the_public_rate_exclude_the_household(world, private_yuan, passes):
    # The policy's public-school fee for senior high is 1,600 yuan a year: twice it is 3,200.
    number, status = verified(world, of(1, private_school_fees_yuan_per_year=private_yuan, student_level="senior_high"))
    assert status == (CaseStatus.awaiting_approval if passes else CaseStatus.rejected)
    if not passes:
        assert failed_rules(world, number)[0] == ["exclusion_private_school"]


def test_a_household_owning_two_homes_is_excluded(world):
    number, status = verified(world, of(1, homes_owned=2))
    assert status == CaseStatus.rejected and failed_rules(world, number)[0] == ["exclusion_homes"]
    assert verified(world, of(2, homes_owned=1))[1] == CaseStatus.awaiting_approval


def test_hardship_spending_above_the_share_of_income_meets_the_accident_tier_without_a_sudden_event(world):
    # Household income 600 yuan a month: 7,200 a year; 80% of it is 5,760.
    number, status = verified(world, of(1, tier_claimed="accident", hardship_spending_yuan_per_year="5761"))
    assert status == CaseStatus.awaiting_approval
    number, status = verified(world, of(3, tier_claimed="accident", hardship_spending_yuan_per_year="5760"))
    assert status == CaseStatus.rejected and failed_rules(world, number)[0] == ["accident_hardship"]


def test_intake_stores_every_fact_verification_reads(world):
    number = intake_hardship(of(1), engine=world)
    with transaction(world) as s:
        facts = s.get(HardshipDetail, load_case(s, number).id).facts
    assert set(INTAKE_FACTS) <= set(facts)


def test_a_case_stored_without_some_intake_facts_is_refused_naming_them_and_stays_as_it_was(world):
    number = intake_hardship(of(1), engine=world)
    edit_stored_case(world, number, drop_facts=("homes_owned", "migrant_worker"))
    with pytest.raises(RuleViolation) as caught:
        verify_hardship(number, registry_for(world), engine=world)
    assert str(caught.value) == (f"case {number} was stored without the intake facts homes_owned, migrant_worker; "
                                 "enter its application again")
    with transaction(world) as s:
        assert load_case(s, number).status == CaseStatus.verifying
        assert s.execute(select(func.count()).select_from(VerificationRecord)).scalar_one() == 0


def test_verification_leaves_its_steps_and_reasons_in_the_case_history(world):
    def history(number):
        with transaction(world) as s:
            return [(e.from_status, e.to_status, e.reason, e.payload) for e in case_history(s, number)][1:]

    passed = intake_hardship(of(1), engine=world)
    outcome = verify_hardship(passed, registry_for(world), engine=world)
    assert (outcome.case_number, outcome.status, outcome.passed, outcome.missing_documents) == (
        passed, CaseStatus.awaiting_approval, True, ())
    assert history(passed) == [
        ("submitted", "verifying", "verification started", {}),
        ("verifying", "awaiting_approval", "all verification rules passed",
         {"policy_version": "2026.1", "passed": True, "failed_rules": []})]

    waiting = intake_hardship(of(2, documents_provided=LIVING_DOCS[:3]), engine=world)
    verify_hardship(waiting, registry_for(world), engine=world)
    assert history(waiting)[-1] == (
        "verifying", "needs_information", "missing documents: household_register, income_proof",
        {"policy_version": "2026.1", "passed": False, "failed_rules": ["required_documents"]})
    with transaction(world) as s:
        record = s.execute(select(VerificationRecord).where(VerificationRecord.case_id == load_case(s, waiting).id)
                           ).scalar_one()
    assert record.missing_documents == ["household_register", "income_proof"]

    refused = intake_hardship(of(3, homes_owned=2, household=[{"name": "A", "relation": "self",
                                                               "monthly_income_yuan": "5000"}]), engine=world)
    verify_hardship(refused, registry_for(world), engine=world)
    reasons = [r.reason for r in _failed_results(world, refused)]
    assert len(reasons) == 2
    assert history(refused)[-1][2] == "; ".join(reasons)


def _failed_results(engine, number):
    from models.hardship_rules import RuleResult

    with transaction(engine) as s:
        record = s.execute(select(VerificationRecord).where(VerificationRecord.case_id == load_case(s, number).id)
                           ).scalar_one()
    return [RuleResult(**r) for r in record.results if not r["passed"]]


def test_verifying_a_case_that_is_not_under_verification_is_refused_by_name(world):
    number = granted(world, of(1))
    with pytest.raises(RuleViolation) as caught:
        verify_hardship(number, registry_for(world), engine=world)
    assert str(caught.value) == f"case {number} is approved, not being verified"


def test_a_case_without_hardship_details_is_not_verified_as_one(world):
    number = factories.hardship_case(world).case_number  # opened without its intake details
    with pytest.raises(NotFound) as caught:
        verify_hardship(number, registry_for(world), engine=world)
    assert str(caught.value) == f"case {number} has no hardship details"


@pytest.mark.parametrize(("months", "passes"), [(12, True), (11, False)])
def test_a_migrant_worker_needs_a_year_of_employment_in_the_district(world, months, passes):
    number, status = verified(world, of(1, migrant_worker=True, months_employed_in_district=months))
    assert status == (CaseStatus.awaiting_approval if passes else CaseStatus.rejected)
    if not passes:
        assert failed_rules(world, number)[0] == ["migrant_worker_employment"]


def test_the_relative_tier_reads_the_causes_recorded_at_intake(world):
    # 2,000 yuan for two people: below twice the line, above the line itself.
    two_people = [{"name": "A", "relation": "self", "monthly_income_yuan": "2000"},
                  {"name": "B", "relation": "child", "monthly_income_yuan": "0"}]
    _, status = verified(world, of(1, tier_claimed="relative", causes=["serious_illness"], household=two_people))
    assert status == CaseStatus.awaiting_approval
    number, status = verified(world, of(3, tier_claimed="relative", causes=[], household=two_people))
    assert status == CaseStatus.rejected and failed_rules(world, number)[0] == ["rigid_cause"]


def test_a_rejection_giving_every_reason_is_cut_to_what_the_history_holds(world, monkeypatch):
    """A rule's reason may be long (a policy requiring many documents, every one missing); with
    another rule failed the reasons run long. The history keeps the first 1,900 characters."""
    from models import hardship_rules

    many = ", ".join(f"document_kind_number_{i:02d}_of_the_list" for i in range(60))
    monkeypatch.setattr(hardship_rules, "check_documents", lambda application, policy: hardship_rules.RuleResult(
        hardship_rules.REQUIRED_DOCUMENTS, False, f"missing: {many}"))
    number, status = verified(world, of(1, household=[{"name": "A", "relation": "self", "monthly_income_yuan": "5000"}]))
    assert status == CaseStatus.rejected
    reasons = "; ".join(r.reason for r in _failed_results(world, number))
    assert len(reasons) > 1900
    with transaction(world) as s:
        assert case_history(s, number)[-1].reason == reasons[:1900]
