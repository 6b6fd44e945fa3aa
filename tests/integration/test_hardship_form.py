"""The hardship form as a caseworker reads it: Chinese names beside the choices, the new causes, a
sudden event kept apart from the causes with its date, and no "registered family" tick."""

import pytest
from sqlalchemy import select

from models.cases import HardshipDetail, VerificationRecord
from models.enums import CaseStatus
from models.errors import InputError, ValidationFailed
from models.intake import HardshipApplication
from services.db import transaction
from services.verification import verify_hardship
from tests import factories
from tests.factories import intake_hardship
from tests.integration.test_hardship_intake_verification import application, registry_for

EMERGENCY_DOCS = ["application_form", "resident_id", "membership_proof", "event_proof"]


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    from models.enums import CaseType
    from services import ledger

    ledger.add_programme("HA-EMERGENCY", "Emergency relief", CaseType.hardship, 2026, 5_000_000, engine=engine)
    return engine


def emergency(**changes):
    fields = {"category": "emergency_relief", "tier_claimed": "accident", "requested_amount_yuan": "3000",
              "documents_provided": EMERGENCY_DOCS, "months_below_line": 0,
              "household": [{"name": "A", "relation": "self", "monthly_income_yuan": "3000"}], **changes}
    return application(**fields)


def _rule(engine, name):
    with transaction(engine) as s:
        record = s.execute(select(VerificationRecord)).scalar_one()
    return next(r for r in record.results if r["rule"] == name)


def test_the_choices_carry_their_chinese_names():
    fields = HardshipApplication.model_json_schema()["properties"]
    assert "living_relief 生活救助" in fields["category"]["description"]
    assert "unemployment 失业/下岗" in fields["causes"]["description"]
    assert "work_injury 工伤" in fields["causes"]["description"]
    assert "accident" not in fields["causes"]["description"]  # a sudden event, asked apart
    assert "university 大学" in fields["student_level"]["description"]
    assert "registered_hardship_file" not in fields


@pytest.mark.parametrize("cause", ["unemployment", "work_injury"])
def test_the_new_causes_are_taken(world, cause):
    number = intake_hardship(application(causes=[cause]), engine=world)
    with transaction(world) as s:
        assert s.execute(select(HardshipDetail.causes)).scalar_one() == [cause]
    assert number


def test_a_sudden_event_given_among_the_causes_is_refused_naming_where_it_belongs():
    with pytest.raises(ValidationFailed, match="causes: disaster is a sudden event, not a cause: give it as "
                                               "sudden_event, with the day it happened"):
        emergency(causes=["disaster"])


def test_a_sudden_event_with_its_date_meets_the_accident_tier(world):
    number = intake_hardship(emergency(sudden_event={"kind": "disaster", "happened_on": "2026-02-20"}), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    assert _rule(world, "accident_hardship")["passed"]
    with transaction(world) as s:
        facts = s.execute(select(HardshipDetail.facts)).scalar_one()
    assert facts["sudden_event"] == {"kind": "disaster", "on": "2026-02-20"}


def test_without_a_sudden_event_the_accident_tier_needs_its_spending(world):
    number = intake_hardship(emergency(), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.rejected
    assert not _rule(world, "accident_hardship")["passed"]


def test_a_sudden_event_after_the_application_was_received_is_refused(world):
    with pytest.raises(InputError, match="^sudden_event.happened_on: is after the application was received"):
        intake_hardship(emergency(sudden_event={"kind": "accident", "happened_on": "2026-03-03"}), engine=world)


def test_a_case_stored_with_its_event_among_the_causes_is_verified_as_it_was(world):
    number = intake_hardship(emergency(causes=["serious_illness"]), engine=world)
    with transaction(world) as s:  # as a case stored before events were asked apart: no sudden_event fact
        detail = s.execute(select(HardshipDetail)).scalar_one()
        detail.facts = {k: v for k, v in detail.facts.items() if k != "sudden_event"}
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval


def test_documents_are_a_checklist_of_the_policys_kinds_with_their_chinese_names():
    field = HardshipApplication.model_json_schema()["properties"]["documents_provided"]
    assert "income_proof 收入证明" in field["description"] and "admission_notice 录取通知书" in field["description"]
    with pytest.raises(ValidationFailed, match="documents_provided.0: Input should be"):
        application(documents_provided=["income_prof"])  # a typo used to count silently as missing


def test_documents_recorded_later_are_the_same_kinds_and_a_typo_is_refused_by_name(world):
    from services.intake import add_documents
    from tests.factories import as_staff

    number = intake_hardship(application(documents_provided=[]), engine=world)
    with pytest.raises(InputError, match="^documents: income_prof is not a document kind; the kinds are application_form"):
        add_documents(number, ["income_prof"], actor=as_staff("CW1"), engine=world)
    add_documents(number, ["income_proof"], actor=as_staff("CW1"), engine=world)


def test_a_policy_requiring_a_kind_nobody_can_tick_is_refused_when_it_is_read(tmp_path):
    from models.policy import load_policy
    from services.settings import get_settings

    path = tmp_path / "policy.toml"
    path.write_text(get_settings().policy_file.read_text(encoding="utf-8").replace('"event_proof"]', '"event_prof"]', 1),
                    encoding="utf-8")
    with pytest.raises(ValidationFailed, match="documents.emergency_relief"):
        load_policy(path)


SPOUSE_ID = factories.resident_id(birth="19820304", seq=41)


def test_a_household_members_id_is_validated_by_field_and_kept_only_as_a_keyed_hash(world):
    from services import pii

    people = [{"name": "A", "relation": "self", "monthly_income_yuan": "600"},
              {"name": "B", "relation": "spouse", "monthly_income_yuan": "0", "resident_id": SPOUSE_ID,
               "disability": True, "employment": "laid_off"}]
    intake_hardship(application(household=people), engine=world)
    with transaction(world) as s:
        facts = s.execute(select(HardshipDetail.facts)).scalar_one()
    assert SPOUSE_ID not in str(facts) and facts["household_id_hashes"] == [pii.hash_identifier(SPOUSE_ID)]
    assert facts["household_people"][1] == {"relation": "spouse", "disability": True, "employment": "laid_off",
                                            "birth_year": 1982}


@pytest.mark.parametrize("person,expected", [
    ({"resident_id": SPOUSE_ID[:-1] + "0"}, "household.1.resident_id: check character does not match"),
    ({"resident_id": SPOUSE_ID, "birth_date": "1982-03-05"}, "household.1.birth_date: does not agree with the resident ID"),
])
def test_a_household_members_wrong_id_is_refused_without_repeating_it(person, expected):
    people = [{"name": "A", "relation": "self", "monthly_income_yuan": "600"},
              {"name": "B", "relation": "spouse", "monthly_income_yuan": "0", **person}]
    with pytest.raises(ValidationFailed) as refused:
        application(household=people)
    assert any(str(p).startswith(expected) for p in refused.value.problems), refused.value.problems
    assert SPOUSE_ID[:-1] not in str(refused.value)


def test_the_same_id_for_two_people_is_refused():
    twice = [{"name": n, "relation": r, "monthly_income_yuan": "0", "resident_id": SPOUSE_ID}
             for n, r in (("A", "self"), ("B", "spouse"))]
    with pytest.raises(ValidationFailed, match="household: the same resident ID is given for two people"):
        application(household=twice)


def test_a_household_number_must_be_the_applicants_own(world):
    with pytest.raises(InputError, match="^household_number: the applicant has no household in our records"):
        intake_hardship(application(household_number="H001"), engine=world)


def test_last_years_household_income_decides_the_accident_tiers_spending_test(world):
    # 3,000 a month is 36,000 a year: spending of 30,000 is 83% of it; of a declared 60,000 it is 50%.
    spent = {"hardship_spending_yuan_per_year": "30000"}
    first = intake_hardship(emergency(**spent), engine=world)
    assert verify_hardship(first, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    second = intake_hardship(emergency(**spent, applicant_member_number="M0002",
                                       resident_id=factories.resident_id(seq=2), annual_household_income_yuan="60000"),
                             engine=world)
    assert verify_hardship(second, registry_for(world), engine=world).status == CaseStatus.rejected


def test_a_household_number_that_is_not_the_applicants_is_refused_naming_ours(engine, tmp_path):
    factories.organisation(engine)
    factories.household_members(engine, tmp_path)
    with pytest.raises(InputError, match=r"^household_number: is not the applicant's household \(H001 in our records\)"):
        intake_hardship(application(household_number="H002"), engine=engine)
    assert intake_hardship(application(household_number="H001"), engine=engine)
