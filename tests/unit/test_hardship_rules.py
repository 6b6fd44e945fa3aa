"""Hardship verification rules, each at its boundaries, under a small policy with round numbers:
a 低保 line of 1,000 yuan (100,000 fen), so deep is < 100,000, relative < 200,000 and accident
<= 300,000 fen per person per month."""

import copy
from datetime import date

import pytest

from models.errors import InputError
from models.hardship_rules import (
    ACCIDENT_HARDSHIP,
    CATEGORY_CAP,
    HARDSHIP_SPENDING,
    MONTHS_BELOW_LINE,
    NO_DOUBLE_AID,
    PER_CAPITA_INCOME,
    REQUIRED_DOCUMENTS,
    RIGID_CAUSE,
    TIER_ELIGIBILITY,
    Application,
    Household,
    HouseholdIncome,
    PriorAid,
    SchoolFees,
    category_cap_fen,
    check_accident_hardship,
    check_category_cap,
    check_documents,
    check_hardship_register,
    check_hardship_spending,
    check_homes_owned,
    check_household_yearly_cap,
    check_migrant_worker_employment,
    check_months_below_line,
    check_no_double_aid,
    check_per_capita_income,
    check_private_school_fees,
    check_rigid_cause,
    check_sudden_event,
    check_tier_eligibility,
    evaluate,
    fixed_amount_fen,
    missing_documents,
    tier_rules,
)
from models.policy import Category, Cause, HardshipPolicy, PolicyVersion, StudentLevel, Tier

LINE = 100_000  # fen: 1,000 yuan
APPLIED = date(2026, 3, 2)

BASE = {
    "version": "test.1",
    "effective_from": date(2026, 1, 1),
    "subsistence_line_monthly_yuan": 1000,
    "tiers": {
        "deep": {
            "income_line_multiple": 1,
            "income_comparison": "less_than",
            "months_below_line": 6,
            "months_comparison": "more_than",
        },
        "relative": {
            "income_line_multiple": 2,
            "income_comparison": "less_than",
            "rigid_causes": ["serious_illness", "schooling_costs", "disability", "single_parent"],
        },
        "accident": {
            "spending_share_percent": 80,
            "spending_comparison": "more_than",
            "income_line_multiple": 3,
            "income_comparison": "at_most",
            "sudden_events": ["accident", "disaster", "serious_illness"],
        },
    },
    "categories": {
        "living_relief": {"cap_yuan": 3000},
        "medical_relief": {"cap_yuan": 10000},
        "emergency_relief": {"cap_yuan": 5000},
        "student_aid": {
            "registered": {"university_yuan": 5000, "senior_high_yuan": 3000},
            "other": {"university_yuan": 4000, "senior_high_yuan": 2000},
        },
        "winter_relief": {"deep_yuan": 1500, "relative_yuan": 1000, "accident_yuan": 800},
        "summer_relief": {"deep_yuan": 500, "relative_yuan": 300, "accident_yuan": 300},
    },
    "household": {"yearly_cap_yuan": 20000},
    "migrant_workers": {"min_months_employed_in_district": 12},
    "exclusions": {"homes_at_least": 2, "private_school_fees_above_public_multiple": 2,
                   "public_school_fees_per_year": {"university_yuan": 5000, "senior_high_yuan": 1600}},
    "approval": {"grassroots_limit_yuan": 2000, "district_limit_yuan": 20000, "two_approvers_above_yuan": 5000},
    "documents": {
        "living_relief": ["application_form", "resident_id", "income_proof"],
        "medical_relief": ["application_form", "diagnosis", "medical_invoices"],
        "student_aid": ["application_form", "admission_notice"],
        "winter_relief": ["application_form"],
        "summer_relief": ["application_form"],
        "emergency_relief": ["application_form", "event_proof"],
    },
    "public_notice": {"working_days": 5},
}


def make_version(**edits: object) -> PolicyVersion:
    """The test policy, with dotted keys changed: ``make_version(**{"tiers.deep.months_below_line": 3})``."""
    data = copy.deepcopy(BASE)
    for dotted, value in edits.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return PolicyVersion.model_validate(data)


POLICY = make_version()


def household(*monthly_incomes_fen: int, **kwargs: object) -> Household:
    return Household(members=[HouseholdIncome(fen) for fen in monthly_incomes_fen], **kwargs)


def application(**kwargs: object) -> Application:
    values: dict[str, object] = {
        "category": Category.living_relief,
        "tier_claimed": Tier.relative,
        "requested_fen": 100_000,
        "applied_on": APPLIED,
        "causes": {Cause.serious_illness},
        "documents": {"application_form", "resident_id", "income_proof"},
    }
    values.update(kwargs)
    return Application(**values)  # type: ignore[arg-type]


# --- per-capita income -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tier,per_capita,passed",
    [
        (Tier.deep, LINE - 1, True),  # one fen under the line
        (Tier.deep, LINE, False),  # exactly at the line: "below" excludes it
        (Tier.deep, LINE + 1, False),  # one fen over
        (Tier.relative, 2 * LINE - 1, True),
        (Tier.relative, 2 * LINE, False),
        (Tier.relative, 2 * LINE + 1, False),
        (Tier.accident, 3 * LINE - 1, True),
        (Tier.accident, 3 * LINE, True),  # "up to": exactly at 3× passes
        (Tier.accident, 3 * LINE + 1, False),
    ],
)
def test_per_capita_income_is_compared_with_the_tiers_multiple_of_the_line_as_the_policy_states(
    tier, per_capita, passed
):
    result = check_per_capita_income(household(per_capita), tier, POLICY)
    assert (result.rule, result.passed) == (PER_CAPITA_INCOME, passed)


def test_per_capita_income_is_the_household_total_divided_by_its_members_rounded_down_to_the_fen():
    assert household(100_000, 100_001, 100_001).per_capita_income_fen == 100_000  # 100,000.67 → 100,000
    assert household(0, 199_999).per_capita_income_fen == 99_999  # 99,999.5 → 99,999


def test_rounding_down_gives_the_household_the_fraction_of_a_fen_at_an_at_most_line():
    # exactly 3 × the line plus two thirds of a fen per person: rounded down, it is at the line
    result = check_per_capita_income(household(3 * LINE, 3 * LINE + 1, 3 * LINE + 1), Tier.accident, POLICY)
    assert result.passed


def test_rounding_down_never_moves_a_household_across_a_below_line():
    assert check_per_capita_income(household(0, 2 * LINE - 1), Tier.deep, POLICY).passed  # 99,999.5
    assert not check_per_capita_income(household(0, 2 * LINE), Tier.deep, POLICY).passed  # 100,000.0


def test_a_fractional_multiple_gives_an_exact_threshold_that_is_never_rounded():
    version = make_version(**{"subsistence_line_monthly_yuan": "1000.01", "tiers.relative.income_line_multiple": "1.5"})
    # 100,001 fen × 1.5 = 150,001.5 fen
    assert check_per_capita_income(household(150_001), Tier.relative, version).passed
    assert not check_per_capita_income(household(150_002), Tier.relative, version).passed


def test_an_at_most_comparison_in_the_policy_lets_the_line_itself_pass():
    version = make_version(**{"tiers.deep.income_comparison": "at_most"})
    assert check_per_capita_income(household(LINE), Tier.deep, version).passed
    assert not check_per_capita_income(household(LINE + 1), Tier.deep, version).passed


def test_the_income_reason_names_the_policy_figures_but_not_the_households_income():
    result = check_per_capita_income(household(123_456), Tier.relative, POLICY)
    assert "¥2,000.00" in result.reason and "¥1,000.00" in result.reason
    assert "1,234.56" not in result.reason


# --- deep tier: months below the line ----------------------------------------------------------


@pytest.mark.parametrize("months,passed", [(5, False), (6, False), (7, True)])
def test_deep_hardship_needs_more_than_six_months_below_the_line(months, passed):
    result = check_months_below_line(household(LINE - 1, months_below_line=months), POLICY)
    assert (result.rule, result.passed) == (MONTHS_BELOW_LINE, passed)


def test_a_province_counting_six_months_or_more_sets_at_least_and_six_months_passes():
    version = make_version(**{"tiers.deep.months_comparison": "at_least"})
    assert check_months_below_line(household(LINE - 1, months_below_line=6), version).passed
    assert not check_months_below_line(household(LINE - 1, months_below_line=5), version).passed


# --- relative tier: rigid cause ----------------------------------------------------------------


@pytest.mark.parametrize("cause", [Cause.serious_illness, Cause.schooling_costs, Cause.disability, Cause.single_parent])
def test_any_rigid_cause_satisfies_the_relative_tier(cause):
    assert check_rigid_cause(application(causes={cause}), POLICY).passed


@pytest.mark.parametrize("causes", [set(), {Cause.accident}, {Cause.disaster}])
def test_no_rigid_cause_or_only_a_sudden_event_fails_the_relative_tier(causes):
    result = check_rigid_cause(application(causes=causes), POLICY)
    assert (result.rule, result.passed) == (RIGID_CAUSE, False)


def test_the_rigid_cause_reason_does_not_reveal_which_cause_the_household_has():
    illness = check_rigid_cause(application(causes={Cause.serious_illness}), POLICY)
    parent = check_rigid_cause(application(causes={Cause.single_parent}), POLICY)
    assert illness.reason == parent.reason


# --- accident tier -----------------------------------------------------------------------------

# one member earning 100,000 fen a month: 1,200,000 a year, 80% of which is 960,000


@pytest.mark.parametrize("spending,passed", [(959_999, False), (960_000, False), (960_001, True)])
def test_hardship_spending_must_be_more_than_eighty_percent_of_yearly_household_income(spending, passed):
    result = check_hardship_spending(household(LINE, hardship_spending_fen_per_year=spending), POLICY)
    assert (result.rule, result.passed) == (HARDSHIP_SPENDING, passed)


def test_hardship_spending_of_a_household_without_income_is_above_any_share_of_it():
    assert check_hardship_spending(household(0, hardship_spending_fen_per_year=1), POLICY).passed
    assert not check_hardship_spending(household(0, hardship_spending_fen_per_year=0), POLICY).passed


def test_high_hardship_spending_alone_makes_accident_hardship_whatever_the_income():
    rich = household(10 * LINE, hardship_spending_fen_per_year=10 * LINE * 12)
    result = check_accident_hardship(rich, application(tier_claimed=Tier.accident, causes=set()), POLICY)
    assert (result.rule, result.passed) == (ACCIDENT_HARDSHIP, True)


def test_income_up_to_three_times_the_line_with_a_sudden_event_makes_accident_hardship():
    claim = application(tier_claimed=Tier.accident, sudden_event=Cause.disaster)
    assert check_accident_hardship(household(3 * LINE), claim, POLICY).passed
    assert not check_accident_hardship(household(3 * LINE + 1), claim, POLICY).passed


def test_income_within_three_times_the_line_without_a_sudden_event_is_not_accident_hardship():
    claim = application(tier_claimed=Tier.accident, causes={Cause.single_parent})
    result = check_accident_hardship(household(LINE), claim, POLICY)
    assert (result.rule, result.passed) == (ACCIDENT_HARDSHIP, False)
    assert "neither path" in result.reason and "no sudden event" in result.reason


def test_a_sudden_event_is_one_the_policy_lists():
    assert check_sudden_event(application(sudden_event=Cause.accident), POLICY).passed
    assert not check_sudden_event(application(sudden_event=Cause.disability), POLICY).passed


def test_a_sudden_event_among_the_causes_is_not_a_sudden_event():
    assert not check_sudden_event(application(causes={Cause.accident}), POLICY).passed


# --- the tier claimed --------------------------------------------------------------------------


def test_each_tier_runs_its_own_rules():
    assert [r.rule for r in tier_rules(household(1), application(tier_claimed=Tier.deep), POLICY)] == [
        PER_CAPITA_INCOME,
        MONTHS_BELOW_LINE,
    ]
    assert [r.rule for r in tier_rules(household(1), application(tier_claimed=Tier.relative), POLICY)] == [
        PER_CAPITA_INCOME,
        RIGID_CAUSE,
    ]
    assert [r.rule for r in tier_rules(household(1), application(tier_claimed=Tier.accident), POLICY)] == [
        ACCIDENT_HARDSHIP
    ]


def test_tier_eligibility_passes_when_every_rule_of_the_tier_passes():
    deep = household(LINE - 1, months_below_line=7)
    assert check_tier_eligibility(deep, application(tier_claimed=Tier.deep), POLICY).passed


def test_tier_eligibility_fails_naming_what_the_tier_lacks():
    result = check_tier_eligibility(
        household(LINE - 1, months_below_line=3), application(tier_claimed=Tier.deep), POLICY
    )
    assert (result.rule, result.passed) == (TIER_ELIGIBILITY, False)
    assert "deep tier" in result.reason and "months" in result.reason and "per-capita" not in result.reason


# --- migrant workers and exclusions ------------------------------------------------------------


@pytest.mark.parametrize("months,passed", [(11, False), (12, True), (13, True)])
def test_a_migrant_worker_needs_twelve_months_of_employment_in_the_district(months, passed):
    claim = application(migrant_worker=True, months_employed_in_district=months)
    assert check_migrant_worker_employment(claim, POLICY).passed is passed


def test_the_employment_rule_does_not_apply_to_workers_who_are_not_migrants():
    result = check_migrant_worker_employment(application(migrant_worker=False, months_employed_in_district=0), POLICY)
    assert result.passed and "does not apply" in result.reason


@pytest.mark.parametrize("homes,passed", [(0, True), (1, True), (2, False), (3, False)])
def test_a_household_with_two_or_more_homes_is_excluded(homes, passed):
    assert check_homes_owned(household(1, homes_owned=homes), POLICY).passed is passed


@pytest.mark.parametrize("private_fen,passed", [(1_999_999, True), (2_000_000, True), (2_000_001, False)])
def test_private_school_fees_above_twice_the_public_rate_exclude_the_household(private_fen, passed):
    fees = SchoolFees(private_fen_per_year=private_fen, public_rate_fen_per_year=1_000_000)
    assert check_private_school_fees(household(1, school_fees=fees), POLICY).passed is passed


def test_a_household_without_private_school_fees_is_not_excluded():
    assert check_private_school_fees(household(1), POLICY).passed


# --- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("requested,passed", [(299_999, True), (300_000, True), (300_001, False)])
def test_living_relief_may_ask_for_up_to_its_cap_exactly(requested, passed):
    result = check_category_cap(household(1), application(requested_fen=requested), POLICY)
    assert result.passed is passed


@pytest.mark.parametrize(
    "level,registered,amount",
    [
        (StudentLevel.university, True, 500_000),
        (StudentLevel.senior_high, True, 300_000),
        (StudentLevel.university, False, 400_000),
        (StudentLevel.senior_high, False, 200_000),
    ],
)
def test_student_aid_depends_on_the_level_and_on_a_registered_hardship_file(level, registered, amount):
    family = household(1, registered_hardship_file=registered)
    claim = application(category=Category.student_aid, student_level=level, requested_fen=amount)
    assert category_cap_fen(family, claim, POLICY) == amount
    assert check_category_cap(family, claim, POLICY).passed
    over = application(category=Category.student_aid, student_level=level, requested_fen=amount + 1)
    assert not check_category_cap(family, over, POLICY).passed
    under = application(category=Category.student_aid, student_level=level, requested_fen=amount - 1)
    assert not check_category_cap(family, under, POLICY).passed  # a fixed amount, not a cap
    assert fixed_amount_fen(family, under, POLICY) == amount


def test_a_500_yuan_university_request_is_not_the_fixed_amount_and_fails():
    claim = application(category=Category.student_aid, student_level=StudentLevel.university, requested_fen=50_000)
    result = check_category_cap(household(1), claim, POLICY)
    assert (result.passed, result.reason) == (False, "the amount is not the student_aid amount the policy sets, "
                                                     "¥4,000.00")


def test_a_capped_category_has_no_fixed_amount():
    assert fixed_amount_fen(household(1), application(requested_fen=100), POLICY) is None


def test_student_aid_without_the_students_level_cannot_be_checked_and_fails():
    result = check_category_cap(household(1), application(category=Category.student_aid), POLICY)
    assert (result.rule, result.passed) == (CATEGORY_CAP, False) and "level" in result.reason


@pytest.mark.parametrize("tier,amount", [(Tier.deep, 150_000), (Tier.relative, 100_000), (Tier.accident, 80_000)])
def test_winter_relief_is_a_fixed_amount_per_tier(tier, amount):
    claim = application(category=Category.winter_relief, tier_claimed=tier, requested_fen=amount)
    assert check_category_cap(household(1), claim, POLICY).passed
    over = application(category=Category.winter_relief, tier_claimed=tier, requested_fen=amount + 1)
    assert not check_category_cap(household(1), over, POLICY).passed
    under = application(category=Category.winter_relief, tier_claimed=tier, requested_fen=amount - 1)
    assert not check_category_cap(household(1), under, POLICY).passed


def test_emergency_and_medical_relief_have_their_own_caps():
    assert category_cap_fen(household(1), application(category=Category.emergency_relief), POLICY) == 500_000
    assert category_cap_fen(household(1), application(category=Category.medical_relief), POLICY) == 1_000_000
    assert (
        category_cap_fen(household(1), application(category=Category.summer_relief, tier_claimed=Tier.deep), POLICY)
        == 50_000
    )


def test_the_same_category_twice_in_the_same_year_is_double_aid():
    result = check_no_double_aid(application(), [PriorAid(Category.living_relief, 100_000, 2026)])
    assert (result.rule, result.passed) == (NO_DOUBLE_AID, False) and "no double aid" in result.reason


def test_the_same_category_in_the_previous_year_is_not_double_aid():
    assert check_no_double_aid(application(), [PriorAid(Category.living_relief, 100_000, 2025)]).passed


def test_another_category_in_the_same_year_is_not_double_aid():
    assert check_no_double_aid(application(), [PriorAid(Category.winter_relief, 100_000, 2026)]).passed


@pytest.mark.parametrize("requested,passed", [(199_999, True), (200_000, True), (200_001, False)])
def test_the_households_aid_across_categories_stays_within_the_yearly_cap_exactly(requested, passed):
    prior = [PriorAid(Category.medical_relief, 1_000_000, 2026), PriorAid(Category.winter_relief, 800_000, 2026)]
    result = check_household_yearly_cap(application(requested_fen=requested), prior, POLICY)
    assert result.passed is passed
    assert "¥2,000.00 more" in result.reason


def test_aid_of_the_previous_year_does_not_count_towards_this_years_cap():
    prior = [PriorAid(Category.medical_relief, 2_000_000, 2025)]
    assert check_household_yearly_cap(application(requested_fen=300_000), prior, POLICY).passed


# --- documents ---------------------------------------------------------------------------------


def test_missing_documents_are_listed_in_the_policys_order():
    claim = application(documents={"resident_id"})
    assert missing_documents(claim, POLICY) == ("application_form", "income_proof")
    result = check_documents(claim, POLICY)
    assert (result.rule, result.passed) == (REQUIRED_DOCUMENTS, False)
    assert result.reason == "missing: application_form, income_proof"


def test_all_required_documents_held_passes_and_extra_documents_do_no_harm():
    claim = application(documents={"application_form", "resident_id", "income_proof", "photo"})
    assert missing_documents(claim, POLICY) == ()
    assert check_documents(claim, POLICY).passed


def test_each_category_requires_its_own_documents():
    claim = application(category=Category.medical_relief, documents={"application_form", "income_proof"})
    assert missing_documents(claim, POLICY) == ("diagnosis", "medical_invoices")


# --- evaluate ----------------------------------------------------------------------------------


@pytest.mark.parametrize("registered", [True, False])
def test_the_register_alone_decides_and_never_rejects_a_case(registered):
    result = check_hardship_register(household(1, registered_hardship_file=registered))
    assert (result.rule, result.passed) == ("hardship_register", True)


def eligible_relative_case() -> tuple[Household, Application]:
    return household(150_000, 150_000), application(requested_fen=300_000)


def test_an_eligible_application_passes_every_rule_and_records_the_version_used():
    family, claim = eligible_relative_case()
    report = evaluate(family, claim, [], POLICY)
    assert report.passed, report.failed
    assert report.policy_version == "test.1"
    assert report.policy_fingerprint == POLICY.fingerprint()
    assert report.missing_documents == ()
    assert len({r.rule for r in report.results}) == len(report.results) == 10


def test_a_report_fails_and_lists_missing_documents_when_any_is_missing():
    family, _ = eligible_relative_case()
    report = evaluate(family, application(requested_fen=300_000, documents={"application_form"}), [], POLICY)
    assert not report.passed
    assert report.missing_documents == ("resident_id", "income_proof")
    assert [r.rule for r in report.failed] == ["required_documents"]


def test_a_report_collects_every_failing_rule_not_just_the_first():
    family = household(3 * LINE, homes_owned=2)
    claim = application(requested_fen=300_001, migrant_worker=True, months_employed_in_district=3)
    report = evaluate(family, claim, [PriorAid(Category.living_relief, 1, 2026)], POLICY)
    assert {r.rule for r in report.failed} == {
        "per_capita_income",
        "migrant_worker_employment",
        "exclusion_homes",
        "category_cap",
        "no_double_aid",
    }


def two_version_policy() -> HardshipPolicy:
    old = copy.deepcopy(BASE) | {
        "version": "2025.1",
        "effective_from": date(2025, 1, 1),
        "subsistence_line_monthly_yuan": 1320,
    }
    new = copy.deepcopy(BASE) | {
        "version": "2026.1",
        "effective_from": date(2026, 1, 1),
        "subsistence_line_monthly_yuan": 1395,
    }
    return HardshipPolicy.model_validate({"locality": "test district", "versions": [old, new]})


def test_a_change_of_policy_never_changes_a_decision_already_made():
    policy = two_version_policy()
    family = household(135_000, months_below_line=12)  # 1,350 yuan: above the 2025 line, below the 2026 one
    claim_2025 = application(tier_claimed=Tier.deep, applied_on=date(2025, 11, 3))
    claim_2026 = application(tier_claimed=Tier.deep, applied_on=date(2026, 1, 5))

    decided_2025 = evaluate(family, claim_2025, [], policy.version_on(claim_2025.applied_on))
    decided_2026 = evaluate(family, claim_2026, [], policy.version_on(claim_2026.applied_on))
    assert decided_2025.policy_version == "2025.1"
    assert [r.rule for r in decided_2025.failed] == [PER_CAPITA_INCOME]  # only the line differs between them
    assert decided_2026.policy_version == "2026.1" and decided_2026.passed

    # re-reading the 2025 decision under the version it recorded gives the same answer
    reread = evaluate(family, claim_2025, [], policy.version(decided_2025.policy_version))
    assert reread == decided_2025


def test_evaluate_refuses_a_policy_version_that_was_not_yet_in_force_on_the_application_date():
    policy = two_version_policy()
    family, _ = eligible_relative_case()
    with pytest.raises(InputError, match="not in force on the application date"):
        evaluate(family, application(applied_on=date(2025, 12, 31)), [], policy.version("2026.1"))


def test_the_markdown_report_is_a_table_with_the_masked_applicant_and_no_household_figures():
    family = household(123_456, 123_456)
    claim = application(requested_fen=300_000, documents={"application_form"})
    text = evaluate(family, claim, [], POLICY).to_markdown("HA-2026-000001")
    assert "### Hardship verification: HA-2026-000001" in text
    assert "| rule | result | reason |" in text
    assert "| required_documents | **failed** | missing: resident_id, income_proof |" in text
    assert "Policy version: test.1" in text and "Outcome: **failed" in text
    assert "1,234.56" not in text
    other_cause = application(requested_fen=300_000, documents={"application_form"}, causes={Cause.single_parent})
    assert evaluate(family, other_cause, [], POLICY).to_markdown("HA-2026-000001") == text  # the cause is not shown


def test_the_markdown_report_escapes_table_characters_in_what_it_is_given():
    family, claim = eligible_relative_case()
    text = evaluate(family, claim, [], POLICY).to_markdown("a|b\nc")
    assert "a\\|b c" in text


# --- the data ----------------------------------------------------------------------------------


def test_a_household_without_members_is_an_input_error():
    with pytest.raises(InputError, match="household.members"):
        Household(members=[])


@pytest.mark.parametrize("income", [-1, 1.5, True])
def test_an_income_that_is_not_whole_non_negative_fen_is_an_input_error(income):
    with pytest.raises(InputError, match="monthly_income_fen"):
        HouseholdIncome(income)  # type: ignore[arg-type]


def test_an_application_for_nothing_is_an_input_error():
    with pytest.raises(InputError, match="requested_fen: must be more than zero"):
        application(requested_fen=0)


def test_plain_strings_from_a_form_become_the_policy_terms_or_an_input_error():
    claim = application(category="winter_relief", tier_claimed="deep", causes=["disability"], student_level=None)
    assert claim.category is Category.winter_relief and claim.tier_claimed is Tier.deep
    assert claim.causes == {Cause.disability}
    with pytest.raises(InputError, match="category: must be one of"):
        application(category="holiday_relief")
    with pytest.raises(InputError, match="causes"):
        application(causes=["bad_luck"])
