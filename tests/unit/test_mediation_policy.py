"""The mediation policy file: the sample loads, and a wrong key or a body named twice is refused
by its key path, never with a traceback."""

from datetime import date

import pytest

from casetypes.mediation.policy import load_mediation_policy
from models.errors import InputError, ValidationFailed
from services.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "config" / "policy" / "mediation-sample.toml"


def test_the_sample_routes_an_employer_with_a_station_union_there_and_every_other_to_the_committee():
    version = load_mediation_policy(SAMPLE).version_on(date(2026, 10, 9))
    assert (version.body_for("G001"), version.body_for("G003"), version.body_for(None)) == ("G001", "D000", "D000")
    assert version.periods.extension_max_days == 15 and "110105" in version.jurisdiction


def test_a_day_before_every_version_is_refused_by_field():
    with pytest.raises(InputError) as refused:
        load_mediation_policy(SAMPLE).version_on(date(2025, 12, 31))
    assert refused.value.field == "received_on"


@pytest.mark.parametrize("change,path", [
    (("extension_max_days = 15", "extension_max_days = 20"), "versions[2026.1].periods.extension_max_days"),
    (('station_units = ["G001", "G002"]', 'station_units = ["G001", "D000"]'), "versions[2026.1].station_units"),
    (('"110106" = "示范新区"', '"1101" = "示范新区"'), "versions[2026.1].jurisdiction.1101"),
    (("extension_max_days = 15", "extension_max_days = 15\nreminder = 3"), "versions[2026.1].periods.reminder"),
])
def test_a_wrong_value_is_refused_naming_its_key(tmp_path, change, path):
    edited = tmp_path / "mediation.toml"
    edited.write_text(SAMPLE.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(ValidationFailed) as refused:
        load_mediation_policy(edited)
    assert [p.field for p in refused.value.problems] == [path]
