"""Student aid and seasonal relief pay the amount the policy sets: the caseworker never types it,
the register decides the higher student-aid amount, and the private-school exclusion compares
with the policy's public-school fee."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from models.cases import VerificationRecord
from models.enums import CaseStatus, CaseType
from models.errors import ValidationFailed
from models.intake import HardshipApplication
from models.time import time_fixed_at
from services import audit, households, ledger
from services.cases import load_case
from services.db import transaction
from services.settings import get_settings
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship
from tests.integration.test_campaigns import STUDENT_DOCS
from tests.integration.test_hardship_intake_verification import application, registry_for

SEPTEMBER = datetime(2026, 9, 1, 10, 0, tzinfo=get_settings().zone)


@pytest.fixture
def world(engine, tmp_path):
    factories.organisation(engine)
    factories.household_members(engine, tmp_path)
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=engine)
    ledger.add_programme("HA-WINTER", "Winter relief", CaseType.hardship, 2026, 5_000_000, engine=engine)
    return engine


def student(**changes):
    fields = {"category": "student_aid", "student_level": "university", "requested_amount_yuan": None,
              "documents_provided": STUDENT_DOCS, "applied_on": "2026-09-01", **changes}
    return application(**fields)


def _requested(engine, number):
    with transaction(engine) as s:
        return load_case(s, number).requested_fen


def test_a_typed_student_aid_amount_is_refused_by_field_naming_who_sets_it():
    with pytest.raises(ValidationFailed) as refused:
        student(requested_amount_yuan="500")
    assert str(refused.value.problems[0]) == ("requested_amount_yuan: leave it empty: student_aid is paid the amount "
                                              "the policy sets")


def test_a_capped_category_still_needs_its_amount():
    with pytest.raises(ValidationFailed) as refused:
        application(requested_amount_yuan=None)
    assert str(refused.value.problems[0]) == "requested_amount_yuan: is required for living_relief"


def test_student_aid_asks_for_the_policys_amount_for_a_household_not_in_the_register(world):
    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(student(), engine=world)
    assert _requested(world, number) == 400_000


def test_a_registered_household_gets_the_higher_amount_and_a_wrong_tick_rejects_nothing(world):
    households.register("H001", "deep", actor=as_staff("CW1"), reason="paper file 3", registered_on=date(2026, 1, 5),
                        engine=world)
    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(student(student_level="senior_high"), engine=world)
        assert _requested(world, number) == 300_000
        assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval


def test_verification_sets_the_amount_again_from_the_register_as_it_is_then(world):
    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(student(), engine=world)
        households.register("H001", "deep", actor=as_staff("CW1"), reason="paper file 3",
                            registered_on=date(2026, 8, 1), engine=world)
        assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    assert _requested(world, number) == 500_000
    with transaction(world) as s:
        [moved] = [e for e in audit.case_history(s, number) if e.to_status == "awaiting_approval"]
    assert moved.payload["requested_fen"] == {"from": 400_000, "to": 500_000}


def test_winter_relief_taken_in_by_hand_asks_for_its_tiers_amount(world):
    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(application(category="winter_relief", tier_claimed="relative",
                                             requested_amount_yuan=None, causes=["disability"],
                                             documents_provided=["application_form", "resident_id",
                                                                 "membership_proof"], applied_on="2026-09-01"),
                                 engine=world)
    assert _requested(world, number) == 100_000


@pytest.mark.parametrize("fees,excluded", [("10000", False), ("10000.01", True)])
def test_private_school_fees_are_compared_with_the_policys_public_school_fee(world, fees, excluded):
    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(student(private_school_fees_yuan_per_year=fees), engine=world)
        verify_hardship(number, registry_for(world), engine=world)
    with transaction(world) as s:
        record = s.execute(select(VerificationRecord)).scalar_one()
    [rule] = [r for r in record.results if r["rule"] == "exclusion_private_school"]
    assert rule["passed"] is not excluded


def test_the_form_no_longer_asks_for_the_public_school_fee():
    fields = HardshipApplication.model_json_schema()["properties"]
    assert "public_school_rate_yuan_per_year" not in fields
    assert "policy sets" in fields["requested_amount_yuan"]["description"]


TWO_STUDENTS = [{"name": "王小明", "school": "示例大学 Sample University", "grade": "大一", "level": "university"},
                {"name": "王小红", "school": "示例职校 Sample Vocational School", "grade": "中二", "level": "vocational"}]


def test_one_application_for_a_households_students_pays_each_its_amount_and_counts_each(world):
    from services.case_files import case_text

    with time_fixed_at(SEPTEMBER):
        number = intake_hardship(student(student_level=None, students=TWO_STUDENTS), engine=world)
        assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    assert _requested(world, number) == 400_000 + 200_000  # university and vocational, not registered
    with transaction(world) as s:
        from models.cases import HardshipDetail

        facts = s.execute(select(HardshipDetail.facts)).scalar_one()
    assert facts["students"] == [{"level": "university", "grade": "大一"}, {"level": "vocational", "grade": "中二"}]
    assert "王小明" not in str(facts) and "示例大学" not in str(facts)
    shown = case_text(number, actor=as_staff("AP1"), engine=world).students
    assert shown == ["王小明, 示例大学 Sample University, 大一 (university)",
                     "王小红, 示例职校 Sample Vocational School, 中二 (vocational)"]


@pytest.mark.parametrize("changes,expected", [
    ({"student_level": None}, "students: list the students the aid is for"),
    ({"students": TWO_STUDENTS}, "student_level: give each student's level in students instead"),
    ({"student_level": None, "students": [{**TWO_STUDENTS[0], "school": ""}]}, "students.0.school:"),
])
def test_student_aid_needs_its_students_once(changes, expected):
    with pytest.raises(ValidationFailed) as refused:
        student(**changes)
    assert any(str(p).startswith(expected) for p in refused.value.problems), refused.value.problems


def test_a_level_the_policy_version_pays_nothing_for_is_refused_by_field(world):
    with time_fixed_at(datetime(2025, 9, 1, 10, 0, tzinfo=get_settings().zone)):  # 2025.1 has no vocational amount
        ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2025, 5_000_000, engine=world)
        with pytest.raises(Exception, match="^students: policy version 2025.1 sets no student_aid amount"):  # noqa: PT011
            intake_hardship(student(student_level=None, students=TWO_STUDENTS[1:], applied_on="2025-09-01"),
                            engine=world)
