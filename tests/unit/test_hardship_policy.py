"""The hardship policy file: the sample loads, versions are picked by date, and a bad file is an
InputError naming the TOML key and the problem."""

from datetime import date
from pathlib import Path

import pytest

from models.errors import InputError, ValidationFailed
from models.policy import Category, Cause, Comparison, HardshipPolicy, StudentLevel, Tier, load_policy

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "policy" / "hardship-sample.toml"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample() -> HardshipPolicy:
    return load_policy(SAMPLE)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    """The sample with its first occurrence of ``old`` (in version 2025.1) replaced."""
    assert old in SAMPLE_TEXT, old
    return SAMPLE_TEXT.replace(old, new, 1)


# --- the sample --------------------------------------------------------------------------------


def test_the_sample_policy_loads_with_two_versions_oldest_first(sample):
    assert sample.locality
    assert [v.version for v in sample.versions] == ["2025.1", "2026.1"]
    assert sample.versions[0].effective_from < sample.versions[1].effective_from


def test_the_sample_holds_amounts_in_fen(sample):
    v2025, v2026 = sample.versions
    assert v2025.subsistence_line_monthly_fen == 132_000
    assert v2026.subsistence_line_monthly_fen == 139_500
    student = v2026.categories.student_aid
    assert student.amount_fen(StudentLevel.university, registered=True) == 500_000
    assert student.amount_fen(StudentLevel.senior_high, registered=True) == 300_000
    assert student.amount_fen(StudentLevel.university, registered=False) == 400_000
    assert student.amount_fen(StudentLevel.senior_high, registered=False) == 200_000
    assert v2026.categories.winter_relief.for_tier(Tier.deep) > v2026.categories.winter_relief.for_tier(Tier.accident)


def test_the_sample_states_the_tier_rules_of_the_domain_brief(sample):
    tiers = sample.versions[-1].tiers
    assert (tiers.deep.income_line_multiple, tiers.deep.income_comparison) == (1, Comparison.less_than)
    assert (tiers.deep.months_below_line, tiers.deep.months_comparison) == (6, Comparison.more_than)
    assert (tiers.relative.income_line_multiple, tiers.relative.income_comparison) == (2, Comparison.less_than)
    assert set(tiers.relative.rigid_causes) == {
        Cause.serious_illness,
        Cause.schooling_costs,
        Cause.disability,
        Cause.single_parent,
    }
    assert (tiers.accident.spending_share_percent, tiers.accident.spending_comparison) == (80, Comparison.more_than)
    assert (tiers.accident.income_line_multiple, tiers.accident.income_comparison) == (3, Comparison.at_most)
    assert set(tiers.accident.sudden_events) == {Cause.accident, Cause.disaster, Cause.serious_illness}


def test_the_sample_lists_required_documents_for_every_category_and_a_five_day_notice(sample):
    version = sample.versions[-1]
    for category in Category:
        assert "application_form" in version.documents.required_for(category)
    assert version.public_notice.working_days == 5
    assert version.migrant_workers.min_months_employed_in_district == 12
    assert version.approval.grassroots_limit_fen <= version.approval.district_limit_fen


def test_a_version_fingerprint_is_stable_and_tells_versions_apart(sample):
    again = load_policy(SAMPLE)
    assert sample.versions[0].fingerprint() == again.versions[0].fingerprint()
    assert sample.versions[0].fingerprint() != sample.versions[1].fingerprint()
    assert all(len(v.fingerprint()) == 16 and int(v.fingerprint(), 16) >= 0 for v in sample.versions)  # 16 hex digits


def test_the_fingerprint_ignores_how_an_amount_is_written(tmp_path, sample):
    rewritten = load_policy(
        write(tmp_path, edited("subsistence_line_monthly_yuan = 1320", 'subsistence_line_monthly_yuan = "1,320.00"'))
    )
    assert rewritten.versions[0].fingerprint() == sample.versions[0].fingerprint()


# --- picking a version by date -----------------------------------------------------------------


@pytest.mark.parametrize(
    "day,version",
    [
        (date(2025, 1, 1), "2025.1"),
        (date(2025, 12, 31), "2025.1"),
        (date(2026, 1, 1), "2026.1"),
        (date(2030, 6, 1), "2026.1"),
    ],
)
def test_version_on_picks_the_version_in_force_on_the_day(sample, day, version):
    assert sample.version_on(day).version == version


def test_no_version_is_in_force_before_the_earliest_starts(sample):
    with pytest.raises(InputError, match="no hardship policy version is in force on 2024-12-31"):
        sample.version_on(date(2024, 12, 31))


def test_no_version_is_in_force_after_the_last_one_ended(tmp_path):
    text = SAMPLE_TEXT.replace(
        "effective_from = 2026-01-01", "effective_from = 2026-01-01\neffective_until = 2026-06-30"
    )
    policy = load_policy(write(tmp_path, text))
    assert policy.version_on(date(2026, 6, 30)).version == "2026.1"
    with pytest.raises(InputError, match="ended on 2026-06-30"):
        policy.version_on(date(2026, 7, 1))


def test_a_recorded_version_is_found_again_by_its_id(sample):
    assert sample.version("2025.1").subsistence_line_monthly_fen == 132_000
    assert sample.version("2026.1") is sample.versions[1]  # by id, whatever the dates say
    with pytest.raises(InputError, match="^version: no policy version has this id$"):
        sample.version("1999.1")


# --- bad files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old,new,key,problem",
    [
        (
            "cap_yuan = 3000",
            'cap_yuan = "3000.001"',
            "versions[2025.1].categories.living_relief.cap_yuan",
            "smaller than one fen",
        ),
        (
            "cap_yuan = 3000",
            "cap_yuan = 0.005",
            "versions[2025.1].categories.living_relief.cap_yuan",
            "smaller than one fen",
        ),
        (
            "cap_yuan = 3000",
            "cap_yuan = -1",
            "versions[2025.1].categories.living_relief.cap_yuan",
            "must not be negative",
        ),
        ("cap_yuan = 3000", "cap_yuan = true", "versions[2025.1].categories.living_relief.cap_yuan", "amount in yuan"),
        (
            "subsistence_line_monthly_yuan = 1320",
            "subsistence_line_monthly_yuan = 0",
            "versions[2025.1].subsistence_line_monthly_yuan",
            "more than 0",
        ),
        (
            "yearly_cap_yuan = 20000",
            "yearly_cap_yuan = 20000\nyearly_cap = 1",
            "versions[2025.1].household.yearly_cap",
            "not a key",
        ),
        ("locality =", 'localty = "x"\nlocality =', "localty", "not a key"),
        ("[versions.public_notice]\nworking_days = 5", "", "versions[2025.1].public_notice", "is required"),
        (
            'income_comparison = "at_most"',
            'income_comparison = "more_than"',
            "versions[2025.1].tiers.accident.income_comparison",
            "upper bound",
        ),
        (
            'months_comparison = "more_than"',
            'months_comparison = "over"',
            "versions[2025.1].tiers.deep.months_comparison",
            "Input should be",
        ),
        (
            "months_below_line = 6",
            'months_below_line = "6"',
            "versions[2025.1].tiers.deep.months_below_line",
            "integer",
        ),
        (
            '"disaster", "serious_illness"]',
            '"flood", "serious_illness"]',
            "versions[2025.1].tiers.accident.sudden_events[#2]",
            "Input should be",
        ),
        (
            'winter_relief = ["application_form", "resident_id"',
            'winter_relief = ["application_form", "application_form"',
            "versions[2025.1].documents.winter_relief[#2]",
            "listed twice",
        ),
        (
            "grassroots_limit_yuan = 2000",
            "grassroots_limit_yuan = 20001",
            "versions[2025.1].approval.grassroots_limit_yuan",
            "district_limit_yuan",
        ),
        (
            "effective_from = 2025-01-01",
            'effective_from = "2025-01-01"',
            "versions[2025.1].effective_from",
            "must be a TOML date without quotes, e.g. 2026-01-01",
        ),
        (
            "effective_from = 2025-01-01",
            "effective_from = 2025-01-01T09:00:00",
            "versions[2025.1].effective_from",
            "must be a TOML date without quotes, e.g. 2026-01-01",
        ),
        (
            "effective_from = 2025-01-01",
            "effective_from = 2025-01-01\neffective_until = 2024-12-31",
            "versions[2025.1].effective_until",
            "before effective_from",
        ),
    ],
)
def test_a_bad_value_is_an_input_error_naming_the_key_and_the_problem(tmp_path, old, new, key, problem):
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, edited(old, new)))
    assert caught.value.field == key
    assert problem in str(caught.value)


def test_versions_out_of_order_are_refused_at_the_later_one(tmp_path):
    text = SAMPLE_TEXT.replace("effective_from = 2026-01-01", "effective_from = 2024-06-01")
    with pytest.raises(InputError, match="oldest first") as caught:
        load_policy(write(tmp_path, text))
    assert caught.value.field == "versions[2026.1].effective_from"


def test_two_versions_starting_on_the_same_day_are_refused(tmp_path):
    text = SAMPLE_TEXT.replace("effective_from = 2026-01-01", "effective_from = 2025-01-01")
    with pytest.raises(InputError, match="must be later than the previous version"):
        load_policy(write(tmp_path, text))


def test_a_version_still_in_force_when_the_next_starts_is_an_overlap(tmp_path):
    text = edited("effective_from = 2025-01-01", "effective_from = 2025-01-01\neffective_until = 2026-01-01")
    with pytest.raises(InputError, match="overlaps the previous version") as caught:
        load_policy(write(tmp_path, text))
    assert caught.value.field == "versions[2026.1].effective_from"


def test_a_version_ending_the_day_before_the_next_starts_is_fine(tmp_path):
    text = edited("effective_from = 2025-01-01", "effective_from = 2025-01-01\neffective_until = 2025-12-31")
    assert len(load_policy(write(tmp_path, text)).versions) == 2


def test_a_version_id_used_twice_is_refused(tmp_path):
    text = SAMPLE_TEXT.replace('version = "2026.1"', 'version = "2025.1"')
    with pytest.raises(InputError, match="earlier version") as caught:
        load_policy(write(tmp_path, text))
    assert caught.value.field == "versions[2025.1].version"


def test_a_file_without_versions_is_refused(tmp_path):
    with pytest.raises(InputError, match="at least one version") as caught:
        load_policy(write(tmp_path, 'locality = "x"\nversions = []\n'))
    assert caught.value.field == "versions"


def test_a_version_without_an_id_is_named_by_its_position(tmp_path):
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, edited('version = "2025.1"\n', "")))
    assert caught.value.field == "versions[#1].version"


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    text = edited("cap_yuan = 3000", "cap_yuan = -1").replace("working_days = 5", "working_days = 0")
    with pytest.raises(ValidationFailed) as caught:
        load_policy(write(tmp_path, text))
    fields = {problem.field for problem in caught.value.problems}
    assert "versions[2025.1].categories.living_relief.cap_yuan" in fields
    assert "versions[2026.1].public_notice.working_days" in fields


def test_a_file_that_is_not_toml_is_an_input_error_with_the_line(tmp_path):
    with pytest.raises(InputError, match=r"not valid TOML.*line 1") as caught:
        load_policy(write(tmp_path, "locality\n"))
    assert caught.value.field == "policy file"


def test_a_file_that_is_not_utf8_is_an_input_error(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_bytes('locality = "区"\n'.encode("gb18030"))
    with pytest.raises(InputError, match="policy file"):
        load_policy(path)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_policy(tmp_path / "nowhere.toml")


@pytest.mark.parametrize("written", ['"2025-01-01"', "2025-01-01T09:00:00"])
def test_a_date_written_as_text_or_a_time_is_refused_with_the_whole_hint(tmp_path, written):
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, edited("effective_from = 2025-01-01", f"effective_from = {written}")))
    assert caught.value.problem_detail.problem == "must be a TOML date without quotes, e.g. 2026-01-01"


@pytest.mark.parametrize("old,new,key,problem", [
    ('months_comparison = "more_than"', 'months_comparison = "less_than"', "versions[2025.1].tiers.deep.months_comparison",
     "must be more_than or at_least (this is a lower bound)"),
    ('income_comparison = "at_most"', 'income_comparison = "more_than"', "versions[2025.1].tiers.accident.income_comparison",
     "must be less_than or at_most (an income limit is an upper bound)"),
    ("yearly_cap_yuan = 20000", "yearly_cap_yuan = true", "versions[2025.1].household.yearly_cap_yuan",
     "must be an amount in yuan, e.g. 1200 or 1200.50"),
    ('winter_relief = ["application_form", "resident_id"', 'winter_relief = ["application_form", "application_form"',
     "versions[2025.1].documents.winter_relief[#2]", "is listed twice"),
])
def test_our_own_rules_for_a_value_are_stated_in_full(tmp_path, old, new, key, problem):
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, edited(old, new)))
    assert (caught.value.field, caught.value.problem_detail.problem) == (key, problem)


def test_a_day_before_every_version_is_refused_naming_the_earliest(sample):
    with pytest.raises(InputError) as caught:
        sample.version_on(date(2024, 12, 31))
    assert (caught.value.field, caught.value.problem_detail.problem) == (
        "date", "no hardship policy version is in force on 2024-12-31; the earliest starts on 2025-01-01")


def test_a_day_after_the_last_version_ended_is_refused_naming_it(tmp_path):
    text = SAMPLE_TEXT.replace("effective_from = 2026-01-01", "effective_from = 2026-01-01\neffective_until = 2026-06-30")
    with pytest.raises(InputError) as caught:
        load_policy(write(tmp_path, text)).version_on(date(2026, 7, 1))
    assert (caught.value.field, caught.value.problem_detail.problem) == (
        "date", "no hardship policy version is in force on 2026-07-01; version 2026.1 ended on 2026-06-30")

