"""What a caseworker reads in the verification report: each rule's reason, word for word.

The reasons state the policy's figures and whether they are met, never the household's own
figures. The test policy is the one of test_hardship_rules: a 低保 line of 1,000 yuan.
"""

import pytest

from models.errors import InputError
from models.hardship_rules import (
    RuleResult,
    SchoolFees,
    VerificationReport,
    check_accident_hardship,
    check_hardship_register,
    check_hardship_spending,
    check_homes_owned,
    check_migrant_worker_employment,
    check_months_below_line,
    check_per_capita_income,
    check_private_school_fees,
    check_rigid_cause,
    check_sudden_event,
    check_tier_eligibility,
)
from models.policy import Category, Cause, Tier
from tests.unit.test_hardship_rules import POLICY, application, household, make_version

RELATIVE_NEEDS = "the relative tier needs one of: serious illness, schooling costs, disability or single parent"
ACCIDENT_ACCEPTS = "the accident tier accepts: accident, disaster or serious illness"
ACCIDENT_INCOME = "per-capita monthly income is {}at most ¥3,000.00, 3 × the 低保 line of ¥1,000.00 (accident tier)"


def test_a_rigid_cause_is_reported_without_saying_which():
    assert check_rigid_cause(application(causes={Cause.disability}), POLICY).reason == (
        f"a rigid cause is recorded; {RELATIVE_NEEDS}")
    assert check_rigid_cause(application(causes={Cause.accident}), POLICY).reason == (
        f"no rigid cause is recorded; {RELATIVE_NEEDS}")


def test_a_policy_with_one_rigid_cause_names_it_alone():
    one = make_version(**{"tiers.relative.rigid_causes": ["disability"]})
    assert check_rigid_cause(application(causes=set()), one).reason == (
        "no rigid cause is recorded; the relative tier needs one of: disability")
    two = make_version(**{"tiers.relative.rigid_causes": ["disability", "single_parent"]})
    assert check_rigid_cause(application(causes=set()), two).reason.endswith("needs one of: disability or single parent")


def test_a_sudden_event_is_reported_with_what_the_tier_accepts():
    result = check_sudden_event(application(sudden_event=Cause.disaster), POLICY)
    assert (result.rule, result.passed, result.reason) == (
        "sudden_event", True, f"a sudden event is recorded; {ACCIDENT_ACCEPTS}")
    result = check_sudden_event(application(causes={Cause.single_parent}), POLICY)
    assert (result.passed, result.reason) == (False, f"no sudden event is recorded; {ACCIDENT_ACCEPTS}")


def test_hardship_spending_is_reported_against_the_policys_share():
    high = check_hardship_spending(household(100_000, hardship_spending_fen_per_year=960_001), POLICY)
    assert (high.rule, high.passed, high.reason) == (
        "hardship_spending", True, "hardship spending in the year is more than 80% of household income")
    low = check_hardship_spending(household(100_000, hardship_spending_fen_per_year=960_000), POLICY)
    assert (low.passed, low.reason) == (False, "hardship spending in the year is not more than 80% of household income")


def test_per_capita_income_names_the_threshold_the_multiple_and_the_line():
    assert check_per_capita_income(household(150_000), Tier.deep, POLICY).reason == (
        "per-capita monthly income is not below ¥1,000.00, 1 × the 低保 line of ¥1,000.00 (deep tier)")
    odd = make_version(**{"subsistence_line_monthly_yuan": "1000.01", "tiers.relative.income_line_multiple": "1.5"})
    assert check_per_capita_income(household(100_000), Tier.relative, odd).reason == (
        "per-capita monthly income is below about ¥1,500.0150, 1.5 × the 低保 line of ¥1,000.01 (relative tier)")


def test_months_below_the_line_are_reported_as_the_deep_tier_needs():
    assert check_months_below_line(household(1, months_below_line=7), POLICY).reason == (
        "income has been below the line for more than 6 months, as the deep tier needs")
    assert check_months_below_line(household(1, months_below_line=6), POLICY).reason == (
        "income has not been below the line for more than 6 months, as the deep tier needs")


def test_the_accident_tier_says_which_path_was_met_or_why_neither_was():
    accident = application(tier_claimed=Tier.accident, sudden_event=Cause.accident)
    spending = check_accident_hardship(household(100_000, hardship_spending_fen_per_year=10**7), accident, POLICY)
    assert (spending.rule, spending.passed, spending.reason) == (
        "accident_hardship", True, "hardship spending in the year is more than 80% of household income")
    event = check_accident_hardship(household(300_000), accident, POLICY)
    assert (event.passed, event.reason) == (
        True, f"{ACCIDENT_INCOME.format('')}, and a sudden event is recorded; {ACCIDENT_ACCEPTS}")
    too_rich = check_accident_hardship(household(300_001), accident, POLICY)
    assert (too_rich.passed, too_rich.reason) == (
        False, "neither path is met: hardship spending in the year is not more than 80% of household income; "
               f"and {ACCIDENT_INCOME.format('not ')}")
    no_event = check_accident_hardship(household(300_000), application(tier_claimed=Tier.accident,
                                                                        causes={Cause.disability}), POLICY)
    assert (no_event.passed, no_event.reason) == (
        False, "neither path is met: hardship spending in the year is not more than 80% of household income; "
               f"and no sudden event is recorded; {ACCIDENT_ACCEPTS}")


def test_tier_eligibility_lists_every_reason_when_met_and_only_the_failures_when_not():
    deep = application(tier_claimed=Tier.deep)
    met = check_tier_eligibility(household(99_999, months_below_line=7), deep, POLICY)
    assert (met.rule, met.passed, met.reason) == (
        "tier_eligibility", True,
        "meets the deep tier: per-capita monthly income is below ¥1,000.00, 1 × the 低保 line of ¥1,000.00 "
        "(deep tier); income has been below the line for more than 6 months, as the deep tier needs")
    both = check_tier_eligibility(household(100_000, months_below_line=6), deep, POLICY)
    assert (both.passed, both.reason) == (
        False, "does not meet the deep tier: per-capita monthly income is not below ¥1,000.00, 1 × the 低保 line of "
               "¥1,000.00 (deep tier); income has not been below the line for more than 6 months, as the deep tier "
               "needs")
    one = check_tier_eligibility(household(100_000, months_below_line=7), deep, POLICY)
    assert one.reason == ("does not meet the deep tier: per-capita monthly income is not below ¥1,000.00, "
                          "1 × the 低保 line of ¥1,000.00 (deep tier)")


def test_private_school_fees_are_reported_against_the_multiple_of_the_public_rate():
    fees = SchoolFees(private_fen_per_year=2_000_001, public_rate_fen_per_year=1_000_000)
    above = check_private_school_fees(household(1, school_fees=fees), POLICY)
    assert (above.passed, above.reason) == (False, "private-school fees are above 2 × the public-school rate")
    at = SchoolFees(private_fen_per_year=2_000_000, public_rate_fen_per_year=1_000_000)
    assert check_private_school_fees(household(1, school_fees=at), POLICY).reason == (
        "private-school fees are not above 2 × the public-school rate")


@pytest.mark.parametrize("values,field,problem", [
    ({"private_fen_per_year": -1, "public_rate_fen_per_year": 1}, "school_fees.private_fen_per_year",
     "must not be negative"),
    ({"private_fen_per_year": 1, "public_rate_fen_per_year": 1.5}, "school_fees.public_rate_fen_per_year",
     "must be a whole number (amounts in fen)"),
    ({"private_fen_per_year": True, "public_rate_fen_per_year": 1}, "school_fees.private_fen_per_year",
     "must be a whole number (amounts in fen)"),
])
def test_school_fees_that_are_not_whole_fen_are_refused_naming_the_field(values, field, problem):
    with pytest.raises(InputError) as refused:
        SchoolFees(**values)
    assert (refused.value.field, refused.value.problem_detail.problem) == (field, problem)


def test_earlier_aid_takes_the_category_by_name_and_refuses_a_bad_one_naming_the_field():
    from models.hardship_rules import PriorAid
    from models.policy import Category

    aid = PriorAid("winter_relief", 150_000, 2026)
    assert aid.category is Category.winter_relief
    with pytest.raises(InputError) as refused:
        PriorAid("holiday_bonus", 1, 2026)
    assert refused.value.field == "prior_aid.category"
    assert refused.value.problem_detail.problem.startswith("must be one of: living_relief, medical_relief")
    with pytest.raises(InputError) as refused:
        PriorAid("winter_relief", -1, 2026)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("prior_aid.amount_fen", "must not be negative")


def test_the_migrant_worker_rule_says_whether_it_applies_and_what_it_needs():
    local = check_migrant_worker_employment(application(), POLICY)
    assert (local.rule, local.passed, local.reason) == (
        "migrant_worker_employment", True, "not a migrant worker; the employment rule does not apply")
    needed = POLICY.migrant_workers.min_months_employed_in_district
    enough = check_migrant_worker_employment(application(migrant_worker=True, months_employed_in_district=needed), POLICY)
    assert (enough.passed, enough.reason) == (
        True, f"migrant worker with at least {needed} months of employment in the district")
    short = check_migrant_worker_employment(application(migrant_worker=True, months_employed_in_district=needed - 1),
                                            POLICY)
    assert (short.rule, short.passed, short.reason) == (
        "migrant_worker_employment", False, f"migrant worker without at least {needed} months of employment in the district")


def test_the_homes_exclusion_names_the_policys_limit():
    limit = POLICY.exclusions.homes_at_least
    assert check_homes_owned(household(0, homes_owned=limit), POLICY).reason == (
        f"the household owns {limit} or more homes, which excludes it")
    fewer = check_homes_owned(household(0, homes_owned=limit - 1), POLICY)
    assert (fewer.rule, fewer.passed, fewer.reason) == ("exclusion_homes", True, f"the household owns fewer than {limit} homes")


def test_the_register_rule_says_which_amounts_apply():
    def said(**flags):
        result = check_hardship_register(household(0, **flags))
        return result.rule, result.passed, result.reason

    assert said(registered_hardship_file=True) == ("hardship_register", True, "the household is in the hardship register")
    assert said() == ("hardship_register", True, "the household is not in the hardship register on the application "
                                                 "date; the amounts for other households apply")


def test_the_report_reads_as_a_table_with_the_outcome_and_the_missing_documents():
    results = (RuleResult("per_capita_income", True, "below | the\r\nline"), RuleResult("required_documents", False, "missing"))
    report = VerificationReport("2026.1", "abc123", Category.living_relief, Tier.deep, results,
                                ("income_proof", "household_register"))
    assert report.to_markdown("HA-2026-000001") == (
        "### Hardship verification: HA-2026-000001\n"
        "\n"
        "- Policy version: 2026.1 (fingerprint abc123)\n"
        "- Category: living_relief; tier claimed: deep\n"
        "- Outcome: **failed (1 of 2 rules)**\n"
        "- Missing documents: income_proof, household_register\n"
        "\n"
        "| rule | result | reason |\n"
        "| --- | --- | --- |\n"
        "| per_capita_income | passed | below \\| the  line |\n"
        "| required_documents | **failed** | missing |\n")
    passed = VerificationReport("2026.1", "abc123", Category.living_relief, Tier.deep, results[:1])
    assert "- Outcome: **passed**\n- Missing documents: none\n" in passed.to_markdown("x")
