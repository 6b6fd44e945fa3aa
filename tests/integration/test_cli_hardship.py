"""Hardship from the command line: schema, intake from JSON and CSV, approve and reject."""

import json

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import select

from models.cases import Case
from models.enums import CaseStatus
from tests import factories
from tests.conftest import NOWHERE_URL
from tests.factories import resident_id
from tests.integration.test_cli import cli_on

DOCS = ["application_form", "resident_id", "membership_proof", "household_register", "income_proof"]


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    """The command line on a seeded database of each kind, with no Prefect server to talk to."""
    with cli_on(database_url, monkeypatch, tmp_path) as invoke:
        factories.world(invoke.engine, tmp_path)
        # No Prefect here (even when another test's server is up): waking a run must degrade politely.
        with temporary_settings({PREFECT_API_URL: NOWHERE_URL + "/api"}):
            yield invoke


def application(**changes):
    data = {"caseworker": "CW2", "applicant_member_number": "M0001", "resident_id": resident_id(seq=1),
            "category": "living_relief", "tier_claimed": "deep",
            "household": [{"name": "A", "relation": "self", "monthly_income_yuan": "600"}],
            "requested_amount_yuan": "1500", "reason": "factory closed", "documents_provided": DOCS,
            "months_below_line": 8, "applied_on": "2026-03-02"}
    data.update(changes)
    return data


def test_the_schema_names_every_field_with_its_title(cli):
    schema = json.loads(cli("schema", "hardship").output)
    assert schema["properties"]["resident_id"]["title"] == "Applicant resident ID 身份证号"
    assert "household" in schema["required"]


@pytest.mark.parametrize("case_type", ["nonsense", "Hardship "])
def test_a_case_type_that_takes_no_applications_here_is_refused_naming_the_field(cli, tmp_path, case_type):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(application()), encoding="utf-8")
    for args in (("intake", case_type, str(path), "--as", "CW2"), ("schema", case_type)):
        result = cli(*args)
        assert result.exit_code == 1
        assert "case_type: takes one of hardship" in result.output and "Traceback" not in result.output


def test_intake_from_json_takes_the_case_and_says_prefect_is_unreachable(cli, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(application()), encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--as", "CW2")
    assert result.exit_code == 0, result.output
    assert "HA-2026-000001 submitted" in result.output and "carries on at its next run" in result.output


def test_intake_from_csv_takes_good_rows_and_lists_bad_ones_without_values(cli, tmp_path):
    bad_id = "110101199003077777"
    path = tmp_path / "many.csv"
    header = "caseworker,applicant_member_number,resident_id,category,tier_claimed,household,requested_amount_yuan,reason,documents_provided,months_below_line,applied_on"
    good = f"CW2,M0001,{resident_id(seq=1)},living_relief,deep,self:A:600;child:B:0,1500,factory closed,{';'.join(DOCS)},8,2026-03-02"
    wrong_id = f"CW2,M0002,{bad_id},living_relief,deep,self:B:600,1500,factory closed,{';'.join(DOCS)},8,2026-03-02"
    bad_amount = f"CW2,M0003,{resident_id(seq=3)},living_relief,deep,self:C:600,15.001,x y,{';'.join(DOCS)},8,2026-03-02"
    path.write_text("\n".join([header, good, wrong_id, bad_amount]) + "\n", encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--no-process", "--as", "CW2")
    assert result.exit_code == 1
    assert "HA-2026-000001 submitted" in result.output
    assert "row 3: resident_id" in result.output and "row 4: requested_amount_yuan" in result.output
    assert bad_id not in result.output
    assert "2 application(s) not taken; 1 taken" in result.output


def test_a_csv_household_gives_each_persons_id_birth_date_disability_and_employment(cli, tmp_path):
    from models.cases import HardshipDetail
    from services.db import transaction

    header = "caseworker,applicant_member_number,resident_id,category,tier_claimed,household,requested_amount_yuan,reason,documents_provided,months_below_line,applied_on"
    household = f"self:A:600:{resident_id(seq=1)}::0:laid_off;child:B:0::2012-05-01:1:student"
    path = tmp_path / "one.csv"
    path.write_text(f"{header}\nCW2,M0001,{resident_id(seq=1)},living_relief,deep,{household},1500,factory closed,"
                    f"{';'.join(DOCS)},8,2026-03-02\n", encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--no-process", "--as", "CW2")
    assert result.exit_code == 0, result.output
    with transaction(cli.engine) as s:
        facts = s.execute(select(HardshipDetail.facts)).scalar_one()
    assert facts["household_people"] == [
        {"relation": "self", "disability": False, "employment": "laid_off", "birth_year": 1980},
        {"relation": "child", "disability": True, "employment": "student", "birth_year": 2012}]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(f"{header}\nCW2,M0002,{resident_id(seq=2)},living_relief,deep,self:A:600:1:2:3:4:5,1500,x y,"
                     f"{';'.join(DOCS)},8,2026-03-02\n", encoding="utf-8")
    refused = cli("intake", "hardship", str(wrong), "--no-process", "--as", "CW2")
    assert refused.exit_code == 1 and "row 2: household: write each person as relation:name:monthly income" in \
        refused.output


def test_a_batch_with_an_inactive_member_stores_and_carries_on_every_other_row(cli, tmp_path):
    from datetime import timedelta

    from models.enums import MembershipStatus
    from models.members import Member
    from services.db import transaction
    from services.sweep import stalled_cases

    with transaction(cli.engine) as s:
        s.execute(select(Member).where(Member.member_number == "M0002")).scalar_one().status = MembershipStatus.suspended
    header = "caseworker,applicant_member_number,resident_id,category,tier_claimed,household,requested_amount_yuan,reason,documents_provided,months_below_line,applied_on"
    rows = [f"CW2,M000{i},{resident_id(seq=i)},living_relief,deep,self:A:600,1500,factory closed,{';'.join(DOCS)},8,"
            "2026-03-02" for i in (1, 2, 3)]
    path = tmp_path / "batch.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--as", "CW2")
    assert result.exit_code == 1
    assert "HA-2026-000001 submitted" in result.output and "HA-2026-000002 submitted" in result.output
    assert result.output.count("carries on at its next run") == 2  # each stored row is carried on
    assert "row 3: applicant_member_number: is not an active member (suspended)" in result.output
    assert "1 application(s) not taken; 2 taken" in result.output
    # Prefect was not reached: the sweep finds both, since nothing carries them on.
    assert stalled_cases(quiet_for=timedelta(0), engine=cli.engine) == ["HA-2026-000001", "HA-2026-000002"]


def test_a_batch_with_every_row_good_says_how_many_were_taken(cli, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps([application()]), encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--no-process", "--as", "CW2")
    assert result.exit_code == 0 and "1 application(s) taken, 0 not taken" in result.output


def test_approve_and_reject_use_the_same_rules_as_the_run_form(cli, tmp_path):
    from models.intake import parse_application
    from tests.factories import intake_hardship

    first = intake_hardship(parse_application(application()), engine=cli.engine)
    second = intake_hardship(parse_application(application(applicant_member_number="M0002",
                                                            resident_id=resident_id(seq=2))), engine=cli.engine)
    from services.cases import transition_case

    for number in (first, second):
        transition_case(number, CaseStatus.verifying, actor="system", reason="go", engine=cli.engine)
        transition_case(number, CaseStatus.awaiting_approval, actor="system", reason="ok", engine=cli.engine)
    own = cli("approve", first, "--as", "CW2", "--reason", "mine")
    assert own.exit_code == 1 and "four-eyes" in own.output
    ok = cli("approve", first, "--as", "AP1", "--reason", "eligible", "--amount", "1200")
    assert ok.exit_code == 0 and "approved for ¥1,200.00" in ok.output
    no = cli("reject", second, "--as", "AP1", "--reason", "owns two flats")
    assert no.exit_code == 0 and "rejected" in no.output
    with cli.engine.connect() as conn:
        statuses = dict(conn.execute(select(Case.case_number, Case.status)).all())
    assert statuses == {first: CaseStatus.approved, second: CaseStatus.rejected}
