"""The household file (建档): situation, causes, skills and needs, kept encrypted and read by the
staff whose work needs it, with the household's aid history beside it."""

from datetime import date

import pytest
from sqlalchemy import text

from models.errors import InputError, RuleViolation
from services import assistance
from services.db import transaction
from services.household_files import read_file, write_file
from tests import factories
from tests.factories import as_staff, intake_hardship
from tests.integration.test_cli import cli  # noqa: F401 - the fixture
from tests.integration.test_hardship_intake_verification import application
from tests.integration.test_pairings_and_employment import world  # noqa: F401 - the fixture: H001 registered

SITUATION = "father has leukaemia 白血病; mother out of work since the depot closed"


def write(engine, staff="CW1", **changes):
    parts = {"situation": SITUATION, "causes": ["serious_illness", "unemployment"], "skills": "mother: forklift licence",
             "needs": "a job near home; help with hospital bills", **changes}
    return write_file("H001", **parts, actor=as_staff(staff), engine=engine)


def test_the_file_is_written_encrypted_and_read_with_the_households_aid_history(world):
    assert write(world) == "household H001: file written"
    number = intake_hardship(application(), engine=world)
    assistance.start_pairing("H001", helper_kind="unit", helper_name="城东物流", started_on=date(2026, 3, 1),
                             commitments="a job for the mother", actor=as_staff("CW1"), engine=world)
    with transaction(world) as s:
        stored = " ".join(s.execute(text("SELECT situation || skills || needs FROM household_file")).scalars())
    assert "白血病" not in stored and "forklift" not in stored
    record = read_file("H001", actor=as_staff("AP1"), engine=world)
    assert record.situation == SITUATION and record.causes == ["serious_illness", "unemployment"]
    assert [(a.case_number, a.category, a.status) for a in record.aid] == [(number, "living_relief", "submitted")]
    assert record.pairings == ["since 2026-03-01 (unit)"]
    with transaction(world) as s:
        actions = [a for (a,) in s.execute(text("SELECT action FROM audit_event ORDER BY seq"))]
    assert "household_file_written" in actions and actions[-1] == "household_file_read"
    assert write(world, needs="a job near home") == "household H001: file updated"


@pytest.mark.parametrize("changes,refusal", [({"causes": ["bad_luck"]}, "^causes: each must be one of"),
                                             ({"causes": []}, "^causes: name at least one"),
                                             ({"skills": " "}, "^skills: must be 2 to 4,000 characters")])
def test_a_file_missing_a_part_is_refused_by_field(world, changes, refusal):
    with pytest.raises(InputError, match=refusal):
        write(world, **changes)


def test_finance_neither_writes_nor_reads_a_households_file(world):
    with pytest.raises(RuleViolation, match="writing a household's file needs the role caseworker or supervisor"):
        write(world, staff="FI1")
    with pytest.raises(RuleViolation, match="reading a household's file needs the role"):
        read_file("H001", actor=as_staff("FI1"), engine=world)


def test_the_command_line_writes_and_shows_the_file(cli, tmp_path):
    factories.organisation(cli.engine)
    factories.household_members(cli.engine, tmp_path)
    written = cli("households", "file", "H001", "--situation", SITUATION, "--causes", "unemployment",
                  "--skills", "welding", "--needs", "a job", "--as", "CW1")
    assert written.exit_code == 0 and "file written" in written.output
    shown = cli("households", "show", "H001", "--as", "SU1")
    assert shown.exit_code == 0 and SITUATION in shown.output and "aid: none yet" in shown.output
