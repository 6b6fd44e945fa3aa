"""The yearly plan file: the sample loads with the domain brief's targets, an unknown target stays
unknown, and a bad file is an InputError naming the target's key and the problem."""

from pathlib import Path

import pytest

from models.errors import InputError, ValidationFailed
from models.plan import INSURANCE_PRODUCTS, MEASURES, Plan, load_plan
from services.settings import get_settings

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "plan" / "2026-sample.toml"
SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample() -> Plan:
    return load_plan(SAMPLE)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in SAMPLE_TEXT, old
    return SAMPLE_TEXT.replace(old, new, 1)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        load_plan(write(tmp_path, text))
    return [str(p) for p in caught.value.problems]


# --- the sample ---------------------------------------------------------------------------------------


def test_settings_point_at_the_sample_plan():
    assert get_settings().plan_file.resolve() == SAMPLE.resolve()


def test_the_sample_holds_the_plan_targets_of_the_domain_brief(sample):
    assert sample.year == 2026
    assert {t.key: t.target for t in sample.targets} == {
        "students_funded": 54, "assistance_pairings": 30, "trained": 400, "reemployed": 450,
        "insurance_supplementary_medical": 360, "insurance_accidental_injury": 324, "insurance_major_illness": 128,
        "insurance_women_major_illness": None,
    }


def test_the_womens_major_illness_target_is_unknown_not_zero(sample):
    women = sample.target("insurance_women_major_illness")
    assert women.target is None and not women.known
    assert women.measure_name == "insurance_covered" and women.measure_argument == "women_major_illness"
    assert "garbled" in women.note


def test_every_sample_target_has_both_titles_a_unit_and_a_known_measure(sample):
    for target in sample.targets:
        assert target.title.zh and target.title.en and target.unit
        assert target.measure_name in MEASURES
        if target.measure_argument is not None:
            assert target.measure_argument in INSURANCE_PRODUCTS


# --- bad files ----------------------------------------------------------------------------------------


def test_a_target_given_as_text_names_the_target_by_its_key(tmp_path):
    found = problems(tmp_path, edited("target = 54", 'target = "54"'))
    assert found == ['targets[students_funded].target: must be a whole number of at least 0, or "unknown" '
                     "when the figure is not known"]


@pytest.mark.parametrize("value", ["-1", "true", "1.5", '"Unknown"', '"n/a"'])
def test_a_target_must_be_a_whole_number_or_unknown(tmp_path, value):
    found = problems(tmp_path, edited("target = 30", f"target = {value}"))
    assert len(found) == 1 and found[0].startswith("targets[assistance_pairings].target: must be a whole number")


def test_a_misspelt_measure_is_refused_rather_than_shown_as_no_data(tmp_path):
    found = problems(tmp_path, edited('measure = "pairings"', 'measure = "parings"'))
    assert len(found) == 1
    assert found[0].startswith("targets[assistance_pairings].measure: 'parings' is not a known measure")


def test_insurance_coverage_names_a_known_product(tmp_path):
    found = problems(tmp_path, edited('measure = "insurance_covered:major_illness"', 'measure = "insurance_covered"'))
    assert found == ["targets[insurance_major_illness].measure: insurance_covered needs a product after a colon, "
                     "one of: supplementary_medical, accidental_injury, major_illness, women_major_illness"]
    found = problems(tmp_path, edited('measure = "trained"', 'measure = "trained:all"'))
    assert found == ["targets[trained].measure: trained takes nothing after a colon"]


def test_a_repeated_key_names_both_places(tmp_path):
    found = problems(tmp_path, edited('key = "trained"', 'key = "reemployed"'))
    assert found == ["targets[reemployed].key: is the key of target #3 too (this is #4); give each target its own key"]


def test_missing_and_unknown_keys_are_named(tmp_path):
    found = problems(tmp_path, edited('unit = "pairings"\n', 'units = "pairings"\n'))
    assert found == ["targets[assistance_pairings].unit: is required",
                     "targets[assistance_pairings].units: is not a key this file knows (check the spelling)"]
    found = problems(tmp_path, edited('title = { zh = "帮扶结对", en = "Assistance pairings" }', 'title = { zh = "帮扶结对" }'))
    assert found == ["targets[assistance_pairings].title.en: is required"]


def test_a_target_without_a_key_is_named_by_its_position(tmp_path):
    found = problems(tmp_path, edited('key = "students_funded"\n', ""))
    assert found == ["targets[#1].key: is required"]


def test_the_year_is_a_plain_year(tmp_path):
    assert problems(tmp_path, edited("year = 2026", 'year = "2026"')) == ["year: must be a whole number without quotes"]
    assert problems(tmp_path, edited("year = 2026", "year = 26")) == ["year: must be a year between 2000 and 2100"]


def test_a_plan_without_targets_is_refused(tmp_path):
    assert problems(tmp_path, "year = 2026\ntargets = []\n") == ["targets: must list at least one target ([[targets]])"]


def test_a_file_that_is_not_toml_or_not_there_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"plan file: plan.toml is not valid TOML"):
        load_plan(write(tmp_path, "year = \n"))
    with pytest.raises(InputError, match=r"plan file: .*missing.toml does not exist"):
        load_plan(tmp_path / "missing.toml")
