"""The command line: one-line errors with a non-zero exit, never a traceback, never personal data."""

import json
import os
import subprocess
import sys
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from sandbox import payment
from sandbox.testing import running_server
from services import db as db_module
from services.db import make_engine
from services.settings import REPO_ROOT, get_settings
from tests import factories
from tests.conftest import NOWHERE_URL
from tests.factories import as_staff, resident_id
from unionaid_cli.main import app


@contextmanager
def cli_on(database_url, monkeypatch, tmp_path):
    """``invoke(*args)`` runs the command line in this process on the database at ``database_url``
    (as ``UNIONAID_DATABASE_URL``, so a process a test starts finds it too); ``invoke.engine`` is
    an engine on the same database for the test's own set-up and checks."""
    monkeypatch.setenv("UNIONAID_DATABASE_URL", database_url)
    monkeypatch.setenv("UNIONAID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    db_module._engine_for.cache_clear()
    engine = make_engine(database_url)
    runner = CliRunner()

    def invoke(*args):
        args = list(args)
        with factories.with_fresh_code(engine, args):  # --as a staff member: their current code
            return runner.invoke(app, args, catch_exceptions=False)

    invoke.engine = engine
    try:
        yield invoke
    finally:
        engine.dispose()
        db_module._engine_for(database_url).dispose()  # the CLI's own engine, before the schema goes
        get_settings.cache_clear()
        db_module._engine_for.cache_clear()


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path):
    """The command line on a fresh database of each kind: ``cli(*args)``, ``cli.engine``."""
    with cli_on(database_url, monkeypatch, tmp_path) as invoke:
        yield invoke


def _one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_staff_add_and_list(cli):
    factories.organisation(cli.engine)
    assert cli("staff", "add", "S100", "New Person", "--unit", "G001", "--roles", "caseworker").exit_code == 0
    listed = json.loads(cli("staff", "list", "--json").output)
    assert {"S100", "AP1"} <= {s["staff_number"] for s in listed}


@pytest.mark.parametrize("args,fragments", [
    (("staff", "add", "S1", "X", "--unit", "G001", "--roles", "boss"), ("roles", "not a role")),
    (("staff", "add", "S1", "X", "--unit", "NOPE", "--roles", "caseworker"), ("unit", "does not exist")),
    (("staff", "add", "S1", "X", "--unit", "G001", "--roles", "approver", "--limit", "1.001"), ("limit",)),
    (("cases", "show", "HA-2026-999999"), ("HA-2026-999999", "does not exist")),
    (("audit", "show", "HA-2026-999999"), ("no audit events",)),
    (("members", "import", "/no/such/file.csv", "--as", "SU1"), ("file", "does not exist")),
])
def test_bad_input_gets_one_line_naming_the_problem(cli, args, fragments):
    factories.organisation(cli.engine)
    _one_line_error(cli(*args), *fragments)


def test_member_import_reports_rows_without_echoing_personal_data(cli, tmp_path):
    factories.organisation(cli.engine)
    bad = "110101199003077777"
    path = tmp_path / "m.csv"
    path.write_text("member_number,name,resident_id,unit_code,join_date\n"
                    f"M1,A,{resident_id(seq=1)},G001,2015-01-01\nM2,B,{bad},G001,2015-01-01\n", encoding="utf-8")
    result = cli("members", "import", str(path), "--as", "SU1")
    assert result.exit_code == 1
    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "resident_id" in result.output and bad not in result.output


def test_cases_list_json_is_machine_readable(cli, tmp_path):
    factories.world(cli.engine, tmp_path)
    case = factories.hardship_case(cli.engine)
    rows = json.loads(cli("cases", "list", "--json", "--type", "hardship").output)
    assert [r["case_number"] for r in rows] == [case.case_number]
    assert rows[0]["status"] == "submitted" and rows[0]["requested_fen"] == 200000
    shown = json.loads(cli("cases", "show", case.case_number, "--json").output)
    assert shown["history"][0]["action"] == "submit"
    assert shown["applicant_resident_id"].count("*") == 8


def test_audit_verify_says_intact_then_names_a_tampered_row_and_exits_1(cli, tmp_path):
    factories.world(cli.engine, tmp_path)
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "chain intact" in ok.output
    with cli.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_event_no_change ON audit_event" if conn.dialect.name == "postgresql"
                          else "DROP TRIGGER audit_event_no_update"))
        conn.execute(text("UPDATE audit_event SET actor = 'intruder' WHERE seq = 4"))
    _one_line_error(cli("audit", "verify"), "sequence 4")


def test_an_unmigrated_database_gets_a_hint_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("UNIONAID_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    db_module._engine_for.cache_clear()
    try:
        result = CliRunner().invoke(app, ["cases", "list"], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
        db_module._engine_for.cache_clear()
    _one_line_error(result, "db upgrade")


def test_the_installed_command_runs_the_demo_end_to_end(database_url, tmp_path):
    """`unionaid demo` in its own process, on its own database, data directory and Prefect home.
    It pays through the provider the settings name (here a sandbox of this test's, on a free port)
    and, when the configured registry does not answer, starts a registry sandbox of its own."""
    settings = get_settings()
    provider = payment.create_app(":memory:", merchant_id=settings.payment_merchant_id,
                                  secret=settings.payment_secret.get_secret_value())
    with running_server(provider) as payment_url:
        env = {**os.environ, "UNIONAID_DATA_DIR": str(tmp_path), "UNIONAID_ENVIRONMENT": "development",
               "UNIONAID_DATABASE_URL": database_url, "UNIONAID_PAYMENT_URL": payment_url,
               "UNIONAID_REGISTRY_URL": NOWHERE_URL, "PREFECT_HOME": str(tmp_path / "prefect")}

        def unionaid(*args, timeout=60):
            return subprocess.run([sys.executable, "-m", "unionaid_cli.main", *args], cwd=REPO_ROOT, env=env,
                                  capture_output=True, text=True, timeout=timeout)

        demo = unionaid("demo", timeout=180)
        assert demo.returncode == 0, demo.stderr
        assert "chain intact" in demo.stdout and "four-eyes" in demo.stdout
        assert "household H001 registered as deep" in demo.stdout
        assert "asks for ¥4,000.00, the amount the policy sets" in demo.stdout
        assert "is on public notice until" in demo.stdout  # student aid held by its notice
        assert "pairing 1: household H004 paired with a model worker" in demo.stdout
        assert "rejected (late_notice)" in demo.stdout and "to a reviewer (above_limit)" in demo.stdout
        assert "inpatient: 12 days × 26.00 × 1 share = 312.00" in demo.stdout  # a claim's explanation
        assert "  - plan " in demo.stdout  # the plan table's pairings row (or why this year has none)
        again = unionaid("demo", timeout=180)
        assert again.returncode == 0 and "the demo has run on this database already (12 cases)" in again.stdout
        paid = httpx.get(f"{payment_url}/sandbox/transfers").json()
        # living and medical relief, the wage advance of the mediation case, two insurance claims
        assert sorted(t["status"] for t in paid) == ["succeeded"] * 5, paid
        verify = unionaid("audit", "verify")
        assert verify.returncode == 0 and "chain intact" in verify.stdout
        bad = unionaid("cases", "list", "--status", "nonsense")
        assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_funds_shows_budget_reserved_paid_and_remaining(cli, tmp_path):
    from services import approvals

    factories.world(cli.engine, tmp_path)
    case = factories.awaiting_approval(cli.engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=cli.engine)
    rows = json.loads(cli("funds", "--json").output)
    assert rows == [{"programme": "HA-LIVING", "name": "Living relief", "year": factories.YEAR,
                     "budget_fen": factories.BUDGET_FEN, "reserved_fen": 150000, "paid_fen": 0,
                     "remaining_fen": factories.BUDGET_FEN - 150000}]


def test_programmes_add_refuses_a_budget_with_fractions_of_a_fen(cli):
    _one_line_error(cli("programmes", "add", "X1", "Test", "--type", "hardship", "--year", "2026", "--budget", "1.005"),
                    "budget")


@pytest.mark.parametrize("command", [("cases", "list"), ("programmes", "add", "X1", "Test", "--year", "2026",
                                                         "--budget", "100")])
def test_a_case_type_nobody_registered_is_refused_naming_the_option_and_the_types(cli, command):
    result = cli(*command, "--type", "pension")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for '--type': is not a case type; one of hardship, mediation, insurance" in \
        " ".join(result.output.replace("│", " ").split())
