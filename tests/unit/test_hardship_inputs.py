"""The rules' inputs refuse what they cannot judge, naming the field; the amount rules say what
room is left; a policy version decides only the days it is in force.

The test policy is the one of test_hardship_rules: in force from 2026-01-01, a living-relief cap
of 3,000 yuan and a household yearly cap of 20,000 yuan.
"""

from datetime import date, timedelta

import pytest

from models.errors import InputError
from models.hardship_rules import (
    Household,
    HouseholdIncome,
    PriorAid,
    check_category_cap,
    check_household_yearly_cap,
    check_no_double_aid,
    check_private_school_fees,
    evaluate,
)
from models.policy import Category, Cause, StudentLevel, Tier
from tests.unit.test_hardship_rules import POLICY, application, household, make_version


def _one_of(kind):
    return "must be one of: " + ", ".join(member.value for member in kind)


@pytest.mark.parametrize("build,field,problem", [
    (lambda: HouseholdIncome(-1), "monthly_income_fen", "must not be negative"),
    (lambda: Household(members=[]), "household.members", "must list at least one person"),
    (lambda: household(0, months_below_line=-1), "household.months_below_line", "must not be negative"),
    (lambda: household(0, hardship_spending_fen_per_year=-1), "household.hardship_spending_fen_per_year",
     "must not be negative"),
    (lambda: household(0, homes_owned=-1), "household.homes_owned", "must not be negative"),
    (lambda: application(tier_claimed="poorest"), "tier_claimed", _one_of(Tier)),
    (lambda: application(causes={"bad_luck"}), "causes", _one_of(Cause)),
    (lambda: application(category="student_aid", student_level="kindergarten"), "student_level", _one_of(StudentLevel)),
    (lambda: application(requested_fen=-1), "requested_fen", "must not be negative"),
    (lambda: application(months_employed_in_district=-1), "months_employed_in_district", "must not be negative"),
])
def test_an_input_the_rules_cannot_judge_is_refused_naming_its_field(build, field, problem):
    with pytest.raises(InputError) as caught:
        build()
    assert (caught.value.field, caught.value.problem_detail.problem) == (field, problem)


def test_the_documents_held_are_a_set_of_kinds():
    held = application(documents=["income_proof", "income_proof", "resident_id"]).documents
    assert held == frozenset({"income_proof", "resident_id"}) and isinstance(held, frozenset)


def test_the_category_cap_says_whether_the_request_is_within_it():
    within = check_category_cap(household(0), application(requested_fen=300_000), POLICY)
    assert (within.rule, within.passed, within.reason) == (
        "category_cap", True, "the amount requested is within the living_relief cap of ¥3,000.00")
    above = check_category_cap(household(0), application(requested_fen=300_001), POLICY)
    assert (above.passed, above.reason) == (False, "the amount requested is above the living_relief cap of ¥3,000.00")
    no_level = check_category_cap(household(0), application(category="student_aid"), POLICY)
    assert (no_level.rule, no_level.passed, no_level.reason) == (
        "category_cap", False, "student aid needs each student's level (university or senior_high or vocational), "
                               "one the policy version sets an amount for")


def test_the_yearly_cap_says_how_much_more_may_be_granted_and_never_less_than_nothing():
    this_year = [PriorAid(Category.medical_relief, 1_500_000, 2026)]
    within = check_household_yearly_cap(application(requested_fen=500_000), this_year, POLICY)
    assert (within.rule, within.passed, within.reason) == (
        "household_yearly_cap", True,
        "with this request the household's aid in 2026 is within the yearly cap of ¥20,000.00; "
        "at most ¥5,000.00 more may be granted this year")
    over = [PriorAid(Category.medical_relief, 2_100_000, 2026)]
    above = check_household_yearly_cap(application(requested_fen=100), over, POLICY)
    assert (above.passed, above.reason) == (
        False, "with this request the household's aid in 2026 is above the yearly cap of ¥20,000.00; "
               "at most ¥0.00 more may be granted this year")


def test_no_double_aid_passes_naming_the_category_and_the_year():
    result = check_no_double_aid(application(), [PriorAid(Category.medical_relief, 100, 2026),
                                                 PriorAid(Category.living_relief, 100, 2025)])
    assert (result.rule, result.passed, result.reason) == (
        "no_double_aid", True, "no living_relief given to the household in 2026 so far")


def test_no_private_school_fees_pass_the_exclusion_under_its_own_name():
    result = check_private_school_fees(household(0), POLICY)
    assert (result.rule, result.passed, result.reason) == (
        "exclusion_private_school", True, "no private-school fees recorded")


def test_a_version_decides_exactly_the_days_it_is_in_force():
    until = date(2026, 6, 30)
    version = make_version(effective_until=until)
    first, last = version.effective_from, until
    for day in (first, last):
        assert evaluate(household(0), application(applied_on=day), [], version).policy_version == version.version
    for day in (first - timedelta(days=1), last + timedelta(days=1)):
        with pytest.raises(InputError) as caught:
            evaluate(household(0), application(applied_on=day), [], version)
        assert (caught.value.field, caught.value.problem_detail.problem) == (
            "policy_version", f"version {version.version} is not in force on the application date")
