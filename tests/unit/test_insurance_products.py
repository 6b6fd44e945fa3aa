"""The mutual-insurance product file: the sample loads with the plan's four products in integer fen,
a version is picked by day, and a bad file is a ValidationFailed naming the key path of each
problem, never a traceback."""

import re
from datetime import date
from pathlib import Path

import pytest

from casetypes.insurance.products import RULE_CODES, Beneficiary, ProductFile, load_products
from models.errors import InputError, ValidationFailed
from models.plan import INSURANCE_PRODUCTS
from models.policy import Document
from services.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "config" / "products" / "insurance-sample.toml"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
VERSION_BLOCK = SAMPLE_TEXT[SAMPLE_TEXT.index("\n[[versions]]\n") + 1:]
V = "versions[2026.1]"


@pytest.fixture(scope="module")
def sample() -> ProductFile:
    return load_products(SAMPLE)


def edited(old: str, new: str, text: str = SAMPLE_TEXT) -> str:
    """The sample with ``old`` replaced; ``old`` must occur exactly once (the header comments
    repeat some keys, e.g. ``waiting_days = 30``, so a loose match could edit a comment)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "products.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as refused:
        load_products(write(tmp_path, text))
    return [p.field for p in refused.value.problems]


def with_second_version(version: str, effective_from: str, text: str = SAMPLE_TEXT) -> str:
    block = edited('version = "2026.1"', f'version = "{version}"', VERSION_BLOCK)
    block = edited("effective_from = 2025-01-01", f"effective_from = {effective_from}", block)
    return text + "\n" + block


# --- the sample --------------------------------------------------------------------------------


def test_the_sample_loads_with_one_version_and_the_four_products_of_the_plan(sample):
    assert sample.locality
    assert [(v.version, v.effective_from) for v in sample.versions] == [("2026.1", date(2025, 1, 1))]
    assert set(sample.versions[0].products) == set(INSURANCE_PRODUCTS)
    assert len(sample.versions[0].products) == 4


def test_the_sample_amounts_are_held_as_integer_fen(sample):
    version = sample.versions[0]
    women = version.product("women_major_illness")
    medical = version.product("supplementary_medical")
    assert women.fixed_fen == {"major_illness": 1_500_000, "early_cancer": 200_000}
    assert women.reduced is not None and women.reduced.benefit_fen == 50_000 and women.reduced.until_day == 60
    assert women.contribution_per_share_fen == 4_000
    assert medical.per_day is not None and medical.per_day.rate_fen == 2_600 and medical.per_day.max_days == 180
    assert medical.reimbursement is not None
    assert (medical.reimbursement.deductible_fen, medical.reimbursement.ratio_percent) == (50_000, 50)
    assert (medical.per_event_cap_fen, medical.yearly_cap_fen) == (1_000_000, 2_000_000)
    assert version.review.auto_approve_up_to_fen == 300_000 and version.review.sample_percent == 5
    assert version.approval.grassroots_limit_fen == 500_000
    amounts = [*women.fixed_fen.values(), women.reduced.benefit_fen, medical.per_day.rate_fen,
               medical.reimbursement.deductible_fen, medical.per_event_cap_fen, medical.yearly_cap_fen]
    assert all(type(amount) is int for amount in amounts)


def test_the_sample_womens_plan_waits_30_days_and_ends_cover_after_a_payout(sample):
    women = sample.versions[0].product("women_major_illness")
    assert (women.waiting_days, women.cover_months, women.shares_max) == (30, 24, 2)
    assert women.ends_after_payout and women.beneficiary is Beneficiary.member
    assert women.benefits == ("major_illness", "early_cancer")


def test_a_product_paid_by_stay_and_expenses_only_offers_no_fixed_benefit(sample):
    medical = sample.versions[0].product("supplementary_medical")
    assert medical.benefits == () and not medical.ends_after_payout


def test_the_accidental_injury_plan_pays_the_named_beneficiary_and_lists_its_documents_in_order(sample):
    injury = sample.versions[0].product("accidental_injury")
    assert injury.beneficiary is Beneficiary.named
    assert injury.documents == (Document.application_form, Document.membership_proof, Document.resident_id,
                                Document.accident_report, Document.diagnosis)


def test_a_yuan_amount_with_fen_loads_as_exact_fen(tmp_path):
    text = edited("contribution_per_share_yuan = 50\n", "contribution_per_share_yuan = 50.05\n")
    text = edited("rate_yuan = 26,", 'rate_yuan = "26.5",', text)
    medical = load_products(write(tmp_path, text)).versions[0].product("supplementary_medical")
    assert medical.contribution_per_share_fen == 5_005
    assert medical.per_day is not None and medical.per_day.rate_fen == 2_650


# --- rejection codes ---------------------------------------------------------------------------


def test_the_rejection_codes_of_a_product_are_the_shared_ones_and_its_own(sample):
    version = sample.versions[0]
    codes = version.rejection_codes("accidental_injury")
    assert set(codes) == set(version.rejections) | {"not_accidental"}
    assert codes["not_accidental"].startswith("非意外事故")
    assert codes["duplicate"] == version.rejections["duplicate"]


def test_a_product_without_codes_of_its_own_has_the_shared_rejection_codes(sample):
    version = sample.versions[0]
    assert version.rejection_codes("women_major_illness") == version.rejections
    assert set(RULE_CODES) <= set(version.rejections)


# --- versions by day ---------------------------------------------------------------------------


def test_the_version_in_force_on_a_day_is_the_latest_that_started_by_then(tmp_path):
    products = load_products(write(tmp_path, with_second_version("2027.1", "2027-01-01")))
    assert products.version_on(date(2025, 1, 1)).version == "2026.1"
    assert products.version_on(date(2026, 12, 31)).version == "2026.1"
    assert products.version_on(date(2027, 1, 1)).version == "2027.1"
    assert products.version_on(date(2030, 6, 1)).version == "2027.1"
    assert products.version("2026.1").effective_from == date(2025, 1, 1)


def test_a_day_before_every_version_is_refused_naming_the_event_date(sample):
    with pytest.raises(InputError) as refused:
        sample.version_on(date(2024, 12, 31))
    assert refused.value.field == "event_date"


def test_a_day_before_every_version_is_refused_naming_the_field_the_caller_gives(sample):
    with pytest.raises(InputError) as refused:
        sample.version_on(date(2024, 12, 31), field="cover_from")
    assert refused.value.field == "cover_from" and not isinstance(refused.value, ValidationFailed)


def test_a_version_id_not_in_the_file_is_refused_naming_the_product_version(sample):
    with pytest.raises(InputError) as refused:
        sample.version("2099.1")
    assert refused.value.field == "product_version"


def test_a_product_code_the_version_does_not_offer_is_refused_naming_the_product(sample):
    with pytest.raises(InputError) as refused:
        sample.versions[0].product("pet_insurance")
    assert refused.value.field == "product"


# --- problems by key path ----------------------------------------------------------------------


@pytest.mark.parametrize("old,new,path", [
    ("sample_percent = 5\n", "sample_percent = 5\nsampel_percent = 3\n", f"{V}.review.sampel_percent"),
    ("reduced = { until_day = 60, benefit_yuan = 500 }", "reduced = { until_day = 60, benefit_yuan = 500, days = 3 }",
     f"{V}.products.women_major_illness.reduced.days"),
    ("claim_within_days = 365\n", "claim_within_days = 365\nclaim_within = 10\n",
     f"{V}.products.supplementary_medical.claim_within"),
    ('locality = "', 'localities = 1\nlocality = "', "localities"),
])
def test_an_unknown_key_is_refused_naming_its_path(tmp_path, old, new, path):
    assert problems(tmp_path, edited(old, new)) == [path]


def test_a_product_code_not_in_the_plan_is_refused_naming_it(tmp_path):
    text = edited("[versions.products.major_illness]", "[versions.products.cancer_cover]")
    assert problems(tmp_path, text) == [f"{V}.products.cancer_cover"]


def test_a_product_that_pays_nothing_is_refused_naming_the_product(tmp_path):
    text = edited("fixed_yuan = { major_illness = 20000 }\n", "")
    assert problems(tmp_path, text) == [f"{V}.products.major_illness"]


def test_a_reduced_window_ending_before_the_waiting_period_is_refused_naming_until_day(tmp_path):
    text = edited("reduced = { until_day = 60,", "reduced = { until_day = 29,")
    assert problems(tmp_path, text) == [f"{V}.products.women_major_illness.reduced.until_day"]


def test_a_reduced_window_of_only_the_first_day_after_the_waiting_period_loads(tmp_path):
    text = edited("reduced = { until_day = 60,", "reduced = { until_day = 30,")
    women = load_products(write(tmp_path, text)).versions[0].product("women_major_illness")
    assert women.reduced is not None and women.reduced.until_day == women.waiting_days == 30


def test_ages_with_the_minimum_above_the_maximum_are_refused_naming_min(tmp_path):
    text = edited("cover_months = 36\nages = { min = 16, max = 60 }", "cover_months = 36\nages = { min = 61, max = 60 }")
    assert problems(tmp_path, text) == [f"{V}.products.major_illness.ages.min"]


def test_an_age_above_120_is_refused_naming_it(tmp_path):
    text = edited("cover_months = 36\nages = { min = 16, max = 60 }", "cover_months = 36\nages = { min = 16, max = 121 }")
    assert problems(tmp_path, text) == [f"{V}.products.major_illness.ages.max"]


@pytest.mark.parametrize("code", RULE_CODES)
def test_a_rule_code_missing_from_the_shared_rejections_is_refused_naming_rejections(tmp_path, code):
    section = SAMPLE_TEXT.index("[versions.rejections]")
    line = re.compile(rf"^{code} = [^\n]*\n", re.MULTILINE)
    head, tail = SAMPLE_TEXT[:section], SAMPLE_TEXT[section:]
    assert len(line.findall(tail)) == 1, code
    with pytest.raises(ValidationFailed) as refused:
        load_products(write(tmp_path, head + line.sub("", tail, count=1)))
    assert [p.field for p in refused.value.problems] == [f"{V}.rejections"]
    assert code in refused.value.problems[0].problem


def test_a_products_own_rejection_code_repeating_a_shared_one_is_refused_naming_its_rejections(tmp_path):
    text = edited('not_accidental = "', 'duplicate = "')
    assert problems(tmp_path, text) == [f"{V}.products.accidental_injury.rejections"]


@pytest.mark.parametrize("old,new,path", [
    ("rate_yuan = 26,", "rate_yuan = 26.005,", f"{V}.products.supplementary_medical.per_day.rate_yuan"),
    ("rate_yuan = 26,", 'rate_yuan = "26.001",', f"{V}.products.supplementary_medical.per_day.rate_yuan"),
    ("benefit_yuan = 500 }", "benefit_yuan = 500.001 }", f"{V}.products.women_major_illness.reduced.benefit_yuan"),
    ("yearly_cap_yuan = 20000", "yearly_cap_yuan = 20000.009",
     f"{V}.products.supplementary_medical.yearly_cap_yuan"),
])
def test_a_fraction_of_a_fen_is_refused_naming_the_amount(tmp_path, old, new, path):
    assert problems(tmp_path, edited(old, new)) == [path]


def test_a_contribution_of_nothing_is_refused_naming_it(tmp_path):
    text = edited("contribution_per_share_yuan = 60\n", "contribution_per_share_yuan = 0\n")
    assert problems(tmp_path, text) == [f"{V}.products.major_illness.contribution_per_share_yuan"]


def test_versions_out_of_order_are_refused_naming_versions(tmp_path):
    assert problems(tmp_path, with_second_version("2024.1", "2024-01-01")) == ["versions"]


def test_two_versions_starting_on_the_same_day_are_refused_naming_versions(tmp_path):
    assert problems(tmp_path, with_second_version("2026.2", "2025-01-01")) == ["versions"]


def test_two_versions_with_the_same_id_are_refused_naming_versions(tmp_path):
    with pytest.raises(ValidationFailed) as refused:
        load_products(write(tmp_path, with_second_version("2026.1", "2027-01-01")))
    assert [p.field for p in refused.value.problems] == ["versions"]
    assert "same id" in refused.value.problems[0].problem


def test_a_file_without_versions_is_refused_naming_versions(tmp_path):
    assert problems(tmp_path, 'locality = "x"\nversions = []\n') == ["versions"]
