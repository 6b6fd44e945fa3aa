"""Mediation from the command line: intake from a CSV with a bad row, acceptance, a session, the
case's view, a document; refusals name the field and repeat no value."""

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.conftest import NOWHERE_URL
from tests.factories import resident_id, uscc
from tests.integration.test_cli import cli_on
from tests.mediation import STATION_EMPLOYER, mediation_world

HEADER = ("caseworker,worker.name,worker.resident_id,employer.name,employer.uscc,employer.address,employer.district,"
          "dispute_type,claims,matter,knew_on,employed_from,still_employed,worker_consents,received_on")


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    with cli_on(database_url, monkeypatch, tmp_path) as invoke:
        mediation_world(invoke.engine, tmp_path)
        with temporary_settings({PREFECT_API_URL: NOWHERE_URL + "/api"}):
            yield invoke


def row(worker_id, employer=STATION_EMPLOYER, received="2026-11-02"):
    return (f"CW1,李四,{worker_id},第一机械厂,{employer},示范区工业路1号,110105,unpaid_wages,"
            f"wages:12600:七至九月工资;reinstatement::,三个月工资未发,2026-07-15,2020-03-01,是,1,{received}")


def test_a_csv_takes_its_good_rows_and_names_each_bad_one_by_row_and_field(cli, tmp_path):
    bad_id = resident_id(seq=45)[:-1] + ("0" if resident_id(seq=45)[-1] != "0" else "1")
    path = tmp_path / "many.csv"
    path.write_text("\n".join([HEADER, row(resident_id(seq=41)), row(bad_id), row(resident_id(seq=46), uscc(5)[:-1] + "Z")])
                    + "\n", encoding="utf-8")
    result = cli("intake", "mediation", str(path), "--as", "CW1", "--no-process")
    assert result.exit_code == 1
    assert "MD-2026-000001 submitted" in result.output
    assert "row 3: worker.resident_id: check character does not match" in result.output
    assert "row 4: employer.uscc: is not a valid unified social credit code" in result.output
    assert "2 application(s) not taken; 1 taken" in result.output
    assert bad_id not in result.output and "李四" not in result.output and "Traceback" not in result.output


def test_a_station_accepts_holds_a_session_and_shows_the_days_left(cli, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "\n" + row(resident_id(seq=41), received="2026-12-01") + "\n", encoding="utf-8")
    assert cli("intake", "mediation", str(path), "--as", "CW1", "--no-process").exit_code == 0
    number = "MD-2026-000001"
    from casetypes.mediation import service

    service.verify_mediation(number, engine=cli.engine)
    refused = cli("mediation", "accept", number, "--mediator", "MD2", "--employer-consents", "--as", "MD9")
    assert refused.exit_code == 1 and "is not of it" in refused.output and "Traceback" not in refused.output
    accepted = cli("mediation", "accept", number, "--mediator", "MD2", "--employer-consents", "--as", "AP2")
    assert accepted.exit_code == 0, accepted.output
    held = cli("mediation", "session", number, "--attendees", "双方", "--summary", "陈述", "--next-step", "核对工资",
               "--on", "2026-12-02", "--as", "MD2")
    assert held.exit_code == 0 and "session 1 recorded" in held.output
    shown = cli("mediation", "show", number)
    assert "in_mediation" in shown.output and "mediation ends 2026-12-16" in shown.output
    document = cli("mediation", "document", number, "agreement", "--out", str(tmp_path / "a.docx"), "--as", "MD2")
    assert document.exit_code == 1 and "has no agreement" in document.output
    wrong_day = cli("mediation", "session", number, "--attendees", "双方", "--summary", "陈述", "--next-step", "x",
                    "--on", "2026-13-01", "--as", "MD2")
    assert wrong_day.exit_code == 1 and "on: must be a date as YYYY-MM-DD" in wrong_day.output
