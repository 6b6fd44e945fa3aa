"""The benefit of a claim at its boundaries: the women's plan on days 29, 30, 60 and 61, a daily rate
up to its days, a deductible and a ratio rounded half up, the per-event cap and a yearly cap used up
to the last fen; the explanation names rules and figures only, in integer fen."""

import re

import pytest

from casetypes.insurance.benefit import Calculation, Facts, Line, calculate, yuan
from casetypes.insurance.products import Product, load_products
from services.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "config" / "products" / "insurance-sample.toml"
PRODUCTS = load_products(SAMPLE).versions[0]
WOMEN = PRODUCTS.product("women_major_illness")
MEDICAL = PRODUCTS.product("supplementary_medical")
INJURY = PRODUCTS.product("accidental_injury")
MAJOR = PRODUCTS.product("major_illness")


def every_fen(calculation: Calculation) -> list[object]:
    return [calculation.amount_fen, *(line.result_fen for line in calculation.lines)]


# --- the women's plan: waiting period, reduced window, fixed sum -------------------------------


def test_an_event_on_day_29_of_cover_is_in_the_waiting_period_and_pays_nothing():
    got = calculate(WOMEN, Facts(shares=1, day_of_cover=29, benefit="major_illness"))
    assert got == Calculation(0, (Line("waiting period", "day 29 of cover, before day 30 → 0.00", 0),))


def test_an_event_on_day_30_of_cover_pays_the_reduced_500():
    got = calculate(WOMEN, Facts(shares=1, day_of_cover=30, benefit="major_illness"))
    assert got.amount_fen == 50_000
    assert got.lines == (Line("reduced window", "day 30 of cover, days 30–60 → 500.00", 50_000),)


def test_an_event_on_day_60_of_cover_still_pays_the_reduced_500_whatever_the_shares():
    got = calculate(WOMEN, Facts(shares=2, day_of_cover=60, benefit="major_illness"))
    assert got.amount_fen == 50_000 and [line.rule for line in got.lines] == ["reduced window"]


@pytest.mark.parametrize("shares,amount", [(1, 1_500_000), (2, 3_000_000)])
def test_an_event_on_day_61_of_cover_pays_15000_per_share(shares, amount):
    got = calculate(WOMEN, Facts(shares=shares, day_of_cover=61, benefit="major_illness"))
    assert got.amount_fen == amount
    share_words = "1 share" if shares == 1 else f"{shares} shares"
    assert got.lines == (Line("fixed sum", f"{share_words} × 15,000.00 = {yuan(amount)}", amount),)


def test_early_stage_cancer_pays_2000_per_share():
    got = calculate(WOMEN, Facts(shares=2, day_of_cover=400, benefit="early_cancer"))
    assert got.amount_fen == 400_000
    assert got.lines == (Line("fixed sum", "2 shares × 2,000.00 = 4,000.00", 400_000),)


def test_a_product_without_a_waiting_period_pays_from_day_0_of_cover():
    got = calculate(INJURY, Facts(shares=1, day_of_cover=0, benefit="death"))
    assert got.amount_fen == 2_000_000


def test_the_major_illness_plan_waits_90_days_day_89_out_day_90_in():
    assert calculate(MAJOR, Facts(shares=1, day_of_cover=89, benefit="major_illness")).amount_fen == 0
    assert calculate(MAJOR, Facts(shares=1, day_of_cover=90, benefit="major_illness")).amount_fen == 2_000_000


# --- supplementary medical: daily rate, deductible and ratio ----------------------------------


def test_12_days_in_hospital_at_26_a_day_for_one_share_is_a_line_of_312():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12))
    assert got.amount_fen == 31_200
    assert got.lines == (Line("inpatient", "12 days × 26.00 × 1 share = 312.00", 31_200),)


def test_the_daily_rate_is_per_share():
    got = calculate(MEDICAL, Facts(shares=3, day_of_cover=100, hospital_days=12))
    assert got.lines == (Line("inpatient", "12 days × 26.00 × 3 shares = 936.00", 93_600),)


def test_days_in_hospital_beyond_the_products_days_are_not_paid_200_days_pay_180():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=200))
    assert got.amount_fen == 180 * 2_600
    assert got.lines == (Line("inpatient", "180 days (of 200, at most 180) × 26.00 × 1 share = 4,680.00", 468_000),)


def test_exactly_the_products_days_are_paid_in_full_without_a_cap_note():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=180))
    assert got.lines == (Line("inpatient", "180 days × 26.00 × 1 share = 4,680.00", 468_000),)


def test_expenses_are_paid_at_the_ratio_after_the_deductible():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, expenses_fen=600_000))
    assert got.amount_fen == 275_000
    assert got.lines == (
        Line("expenses", "6,000.00", 600_000),
        Line("deductible", "−500.00 → 5,500.00", 550_000),
        Line("ratio", "50% → 2,750.00", 275_000),
    )


def test_half_a_fen_of_the_ratio_is_rounded_up():
    # 500.00 deductible + 10.01 → 10.01 after it; half of 1,001 fen is 500.5 fen → 501 (not 500)
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, expenses_fen=50_000 + 1_001))
    assert got.amount_fen == 501
    assert got.lines[-1] == Line("ratio", "50% → 5.01", 501)


def test_less_than_half_a_fen_of_the_ratio_is_rounded_down():
    # 33% of 1,001 fen is 330.33 fen → 330; 33% of 1,002 fen is 330.66 fen → 331
    thirds = MEDICAL.model_copy(update={"reimbursement": MEDICAL.reimbursement.model_copy(
        update={"ratio_percent": 33}), "per_day": None})
    assert calculate(thirds, Facts(shares=1, day_of_cover=100, expenses_fen=51_001)).amount_fen == 330
    assert calculate(thirds, Facts(shares=1, day_of_cover=100, expenses_fen=51_002)).amount_fen == 331


def test_expenses_under_the_deductible_pay_nothing():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, expenses_fen=49_999))
    assert got.amount_fen == 0
    assert got.lines[1:] == (Line("deductible", "−500.00 → 0.00", 0), Line("ratio", "50% → 0.00", 0))


def test_the_docstrings_example_stay_and_expenses_with_3000_left_of_the_yearly_cap():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12, expenses_fen=600_000),
                    paid_this_year_fen=1_700_000)
    assert got.amount_fen == 300_000
    assert got.lines == (
        Line("inpatient", "12 days × 26.00 × 1 share = 312.00", 31_200),
        Line("expenses", "6,000.00", 600_000),
        Line("deductible", "−500.00 → 5,500.00", 550_000),
        Line("ratio", "50% → 2,750.00", 275_000),
        Line("subtotal", "3,062.00", 306_200),
        Line("yearly cap remaining", "3,000.00 → 3,000.00", 300_000),
    )


def test_a_fixed_sum_and_a_stay_add_up_to_a_subtotal():
    got = calculate(INJURY, Facts(shares=2, day_of_cover=5, benefit="disability", hospital_days=10))
    assert got.amount_fen == 2 * 1_000_000 + 10 * 3_000 * 2
    assert [line.rule for line in got.lines] == ["fixed sum", "inpatient", "subtotal"]
    assert got.lines[-1].result_fen == got.amount_fen


# --- caps --------------------------------------------------------------------------------------


def test_the_per_event_cap_limits_the_amount_and_is_the_last_line():
    # 180 days × 26.00 × 3 shares = 14,040.00, above the 10,000.00 per event
    got = calculate(MEDICAL, Facts(shares=3, day_of_cover=100, hospital_days=200))
    assert got.amount_fen == 1_000_000
    assert got.lines[-1] == Line("per-event cap", "10,000.00 → 10,000.00", 1_000_000)
    assert got.amount_fen == got.lines[-1].result_fen


def test_an_amount_exactly_at_the_per_event_cap_is_not_capped():
    capped = MEDICAL.model_copy(update={"per_event_cap_fen": 31_200})
    got = calculate(capped, Facts(shares=1, day_of_cover=100, hospital_days=12))
    assert got.amount_fen == 31_200 and [line.rule for line in got.lines] == ["inpatient"]


def test_a_yearly_cap_with_one_fen_left_pays_one_fen():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12), paid_this_year_fen=2_000_000 - 1)
    assert got.amount_fen == 1
    assert got.lines[-1] == Line("yearly cap remaining", "0.01 → 0.01", 1)


def test_a_yearly_cap_used_up_pays_nothing():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12), paid_this_year_fen=2_000_000)
    assert got.amount_fen == 0
    assert got.lines[-1] == Line("yearly cap remaining", "0.00 → 0.00", 0)


def test_a_yearly_cap_overspent_by_earlier_claims_pays_nothing_rather_than_less_than_nothing():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12), paid_this_year_fen=2_500_000)
    assert got.amount_fen == 0 and got.lines[-1].result_fen == 0


def test_the_per_event_cap_applies_before_what_is_left_of_the_yearly_cap():
    got = calculate(MEDICAL, Facts(shares=3, day_of_cover=100, hospital_days=200), paid_this_year_fen=1_500_000)
    assert [line.rule for line in got.lines][-2:] == ["per-event cap", "yearly cap remaining"]
    assert got.amount_fen == 500_000 == got.lines[-1].result_fen


def test_nothing_paid_this_year_below_the_yearly_cap_adds_no_cap_line():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12))
    assert "yearly cap remaining" not in [line.rule for line in got.lines]


def test_a_product_without_caps_pays_in_full_whatever_was_paid_this_year():
    got = calculate(WOMEN, Facts(shares=2, day_of_cover=61, benefit="major_illness"), paid_this_year_fen=9_000_000)
    assert got.amount_fen == 3_000_000 and len(got.lines) == 1


# --- nothing to pay ----------------------------------------------------------------------------


@pytest.mark.parametrize("product,facts", [
    (WOMEN, Facts(shares=1, day_of_cover=100, benefit="death")),
    (WOMEN, Facts(shares=1, day_of_cover=100)),
    (MEDICAL, Facts(shares=1, day_of_cover=100, benefit="major_illness")),
    (MAJOR, Facts(shares=1, day_of_cover=100, hospital_days=12, expenses_fen=600_000)),
])
def test_a_claim_for_nothing_the_product_pays_is_a_no_benefit_line_of_nothing(product, facts):
    got = calculate(product, facts)
    assert got.amount_fen == 0
    assert got.lines == (Line("no benefit", "nothing in the terms pays for what the claim asks → 0.00", 0),)


# --- the explanation ---------------------------------------------------------------------------

FIGURE_WORDS = {"day", "days", "of", "cover", "before", "share", "shares", "at", "most", "nothing", "in", "the",
                "terms", "pays", "for", "what", "claim", "asks"}
RULES = {"waiting period", "reduced window", "fixed sum", "inpatient", "expenses", "deductible", "ratio", "subtotal",
         "per-event cap", "yearly cap remaining", "no benefit"}


def _claims() -> list[tuple[Product, Facts, int]]:
    return [
        (WOMEN, Facts(shares=1, day_of_cover=29, benefit="early_cancer"), 0),
        (WOMEN, Facts(shares=1, day_of_cover=45, benefit="early_cancer"), 0),
        (WOMEN, Facts(shares=2, day_of_cover=500, benefit="early_cancer"), 0),
        (INJURY, Facts(shares=5, day_of_cover=3, benefit="disability", hospital_days=120), 0),
        (MEDICAL, Facts(shares=3, day_of_cover=100, hospital_days=200, expenses_fen=5_000_001), 1_999_999),
        (MEDICAL, Facts(shares=1, day_of_cover=100, benefit="anything"), 0),
    ]


@pytest.mark.parametrize("product,facts,paid", _claims())
def test_the_explanation_holds_only_rule_names_figures_and_results(product, facts, paid):
    got = calculate(product, facts, paid_this_year_fen=paid)
    for entry in got.explanation:
        assert set(entry) == {"rule", "figures", "result_fen"}
        rule = entry["rule"]
        assert rule in RULES, rule  # never a benefit's name: it may speak of health
        words = set(re.findall(r"[^\W\d_]+", entry["figures"]))
        assert words <= FIGURE_WORDS, entry["figures"]
    assert got.explanation == [line.as_dict() for line in got.lines]


@pytest.mark.parametrize("product,facts,paid", _claims())
def test_every_amount_is_integer_fen(product, facts, paid):
    got = calculate(product, facts, paid_this_year_fen=paid)
    assert all(type(fen) is int for fen in every_fen(got))
    assert all(type(entry["result_fen"]) is int for entry in got.explanation)


def test_the_amount_is_never_more_than_the_caps_allow():
    got = calculate(MEDICAL, Facts(shares=3, day_of_cover=100, hospital_days=200, expenses_fen=5_000_001),
                    paid_this_year_fen=1_999_999)
    assert got.amount_fen == 1 == got.lines[-1].result_fen


def test_the_markdown_ends_with_the_benefit_in_yuan():
    got = calculate(MEDICAL, Facts(shares=1, day_of_cover=100, hospital_days=12))
    assert got.markdown().splitlines() == [
        "| rule | figures |", "| --- | --- |", "| inpatient | 12 days × 26.00 × 1 share = 312.00 |",
        "| **benefit** | **312.00** |"]


def test_a_line_reads_as_its_rule_and_figures():
    assert Line("ratio", "50% → 2,750.00", 275_000).text == "ratio: 50% → 2,750.00"
    assert yuan(312_000) == "3,120.00"
