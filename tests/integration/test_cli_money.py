"""Money from the command line: `unionaid pay`, `payouts list|resolve` and `reconcile`, against the
payment sandbox over HTTP and a real database.

Every money command talks to the sandbox the settings name (``UNIONAID_PAYMENT_URL``); the
sandbox's own counters (``/sandbox/transfers/count``) are the proof of how often money was asked for.
"""

from __future__ import annotations

import json

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select

from models.cases import Case
from models.enums import CaseStatus
from models.identifiers import mask_bank_card
from models.payouts import Payout
from models.reconciliation import ReconciliationRun
from models.time import as_utc
from sandbox import payment
from sandbox.testing import running_server
from services import approvals, providers
from services.db import transaction
from services.payment_provider import STATEMENT_COLUMNS
from services.settings import Settings, get_settings
from tests import factories
from tests.conftest import NOWHERE_URL
from tests.factories import as_staff, bank_card, resident_id
from tests.integration.test_cli import _one_line_error, cli  # noqa: F401 - the fixture
from unionaid_cli import main


@pytest.fixture(scope="module")
def payment_url():
    """One payment sandbox for the module, with the credentials the settings hold."""
    settings = Settings()
    app = payment.create_app(":memory:", merchant_id=settings.payment_merchant_id,
                             secret=settings.payment_secret.get_secret_value())
    with running_server(app) as url:
        yield url


@pytest.fixture
def money(cli, payment_url, monkeypatch, tmp_path):  # noqa: F811 - cli is the imported fixture
    """The CLI on a seeded database, its payment provider the sandbox (reset), no Prefect server."""
    httpx.post(f"{payment_url}/sandbox/reset").raise_for_status()
    monkeypatch.setenv("UNIONAID_PAYMENT_URL", payment_url)
    # Tables as wide as their rows: a card wrapped over two lines would hide from a substring check.
    monkeypatch.setattr(main.console, "_width", 250)
    get_settings.cache_clear()
    factories.world(cli.engine, tmp_path)
    with temporary_settings({PREFECT_API_URL: NOWHERE_URL + "/api"}):
        yield cli
    get_settings.cache_clear()


def approved_case(engine, amount_fen: int = 150000) -> str:
    case = factories.awaiting_approval(engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=amount_fen, reason="eligible", engine=engine)
    return case.case_number


def sandbox_counts(url: str, reference: str) -> dict:
    return httpx.get(f"{url}/sandbox/transfers/count", params={"reference": reference}).json()


def set_faults(url: str, **knobs) -> None:
    httpx.post(f"{url}/sandbox/faults", json=knobs).raise_for_status()


def case_row(engine, number: str) -> Case:
    with transaction(engine) as s:
        return s.execute(select(Case).where(Case.case_number == number)).scalar_one()


def payout_month(engine) -> str:
    """The Asia/Shanghai month the (only) payout was made in: the month to reconcile."""
    with transaction(engine) as s:
        created = s.execute(select(Payout.created_at)).scalar_one()
    return as_utc(created).astimezone(get_settings().zone).strftime("%Y-%m")


# --- unionaid pay -------------------------------------------------------------------------------


def test_pay_pays_an_approved_case_and_running_it_again_asks_the_provider_for_nothing_more(money, payment_url):
    number = approved_case(money.engine)
    first = money("pay", number)
    assert first.exit_code == 0, first.output
    assert f"payout {number}-P1: succeeded (¥1,500.00)" in first.output
    assert sandbox_counts(payment_url, f"{number}-P1")["create_requests"] == 1

    again = money("pay", number)
    assert again.exit_code == 0, again.output
    assert f"payout {number}-P1: succeeded" in again.output
    counts = sandbox_counts(payment_url, f"{number}-P1")
    assert (counts["transfers"], counts["create_requests"]) == (1, 1)
    case = case_row(money.engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, 150000)
    funds = json.loads(money("funds", "--json").output)[0]
    assert (funds["reserved_fen"], funds["paid_fen"]) == (0, 150000)


def test_pay_refuses_a_case_that_is_not_approved_in_one_line_and_sends_nothing(money, payment_url):
    number = factories.awaiting_approval(money.engine).case_number
    _one_line_error(money("pay", number), number, "awaiting_approval", "not approved")
    assert httpx.get(f"{payment_url}/sandbox/transfers/count").json()["create_requests"] == 0
    _one_line_error(money("pay", "HA-2026-999999"), "HA-2026-999999", "does not exist")


# --- unionaid payouts list / resolve -------------------------------------------------------------


def test_payouts_list_shows_the_account_masked_in_the_table_and_in_json(money):
    number = approved_case(money.engine)
    assert money("pay", number).exit_code == 0
    card = bank_card(1)  # the applicant M0001's card, as imported

    table = money("payouts", "list")
    assert table.exit_code == 0, table.output
    assert f"{number}-P1" in table.output
    assert card not in table.output and "Member 1" not in table.output

    listed = money("payouts", "list", "--json")
    rows = json.loads(listed.output)
    assert [(r["reference"], r["status"], r["amount_fen"]) for r in rows] == [(f"{number}-P1", "succeeded", 150000)]
    assert rows[0]["account"] == mask_bank_card(card)
    assert card not in listed.output and "Member 1" not in listed.output


def test_payouts_list_refuses_an_unknown_status_in_one_line(money):
    _one_line_error(money("payouts", "list", "--status", "lost"), "status", "must be")


def test_payouts_resolve_finishes_a_payout_whose_outcome_was_unknown(money, payment_url):
    number = approved_case(money.engine)
    set_faults(payment_url, share_lost_response=1.0)  # the transfer is made, the answer never arrives
    sent = money("pay", number)
    assert sent.exit_code == 0, sent.output
    assert f"payout {number}-P1: unknown" in sent.output and "payouts resolve" in sent.output
    assert case_row(money.engine, number).status == CaseStatus.payout_pending
    unknown = json.loads(money("payouts", "list", "--status", "unknown", "--json").output)
    assert [r["reference"] for r in unknown] == [f"{number}-P1"]

    set_faults(payment_url, share_lost_response=0.0)
    resolved = money("payouts", "resolve")
    assert resolved.exit_code == 0, resolved.output
    assert "1 succeeded" in resolved.output
    case = case_row(money.engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, 150000)
    assert sandbox_counts(payment_url, f"{number}-P1")["transfers"] == 1
    assert "no open payouts" in money("payouts", "resolve").output


# --- unionaid reconcile ----------------------------------------------------------------------------


def provider_statement(month: str) -> str:
    provider = providers.payment()
    try:
        return provider.download_statement(month=month)
    finally:
        provider.close()


def test_reconcile_downloads_the_providers_statement_and_matches_the_payouts_of_the_month(money):
    number = approved_case(money.engine)
    assert money("pay", number).exit_code == 0
    month = payout_month(money.engine)
    result = money("reconcile", "--month", month, "--as", "FI1")
    assert result.exit_code == 0, result.output
    assert f"{month} version 1: 1 statement lines, 1 payouts; 1 matched; 0 exception(s) open" in result.output
    assert json.loads(money("reconcile", "exceptions", "--month", month, "--json").output) == []


def test_a_month_with_an_open_exception_is_refused_sign_off_until_finance_resolves_it(money, tmp_path):
    number = approved_case(money.engine)
    assert money("pay", number).exit_code == 0
    month = payout_month(money.engine)
    # The provider's statement, and one line it paid that we never asked for (critical).
    text = provider_statement(month)
    matched_line = text.strip().splitlines()[1].split(",")
    stranger = ["HA-2026-999999-P1", "sbx-stranger", "succeeded", matched_line[3], "88.00", matched_line[5]]
    path = tmp_path / "statement.csv"
    path.write_text(text.rstrip("\n") + "\n" + ",".join(stranger) + "\n", encoding="utf-8")

    first = money("reconcile", "--month", month, "--file", str(path), "--as", "FI1")
    assert first.exit_code == 0, first.output
    assert "version 1: 2 statement lines" in first.output and "1 matched" in first.output
    assert "1 exception(s) open (1 critical)" in first.output
    items = json.loads(money("reconcile", "exceptions", "--month", month, "--open", "--json").output)
    assert [(i["reference"], i["severity"], i["status"]) for i in items] == [("HA-2026-999999-P1", "critical", "open")]

    _one_line_error(money("reconcile", "sign-off", "--month", month, "--as", "FI1"),
                    month, "cannot be signed off", "1 exception(s) still open")
    with transaction(money.engine) as s:
        assert s.execute(select(ReconciliationRun.signed_off_by)).scalar_one() is None

    resolved = money("reconcile", "resolve", str(items[0]["id"]), "--as", "FI1",
                     "--reason", "provider reversed the stray transfer")
    assert resolved.exit_code == 0, resolved.output
    assert f"exception {items[0]['id']} (HA-2026-999999-P1) resolved" in resolved.output
    assert json.loads(money("reconcile", "exceptions", "--month", month, "--open", "--json").output) == []
    done = json.loads(money("reconcile", "exceptions", "--month", month, "--json").output)
    assert [(i["status"], i["resolved_by"]) for i in done] == [("resolved", "FI1")]

    signed = money("reconcile", "sign-off", "--month", month, "--as", "FI1")
    assert signed.exit_code == 0, signed.output
    assert f"{month} version 1 signed off by FI1" in signed.output
    again = money("reconcile", "--month", month, "--file", str(path), "--as", "FI1")
    assert again.exit_code == 0 and "same result as version 1" in again.output
    with transaction(money.engine) as s:
        assert s.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one() == 1


def test_only_an_active_finance_officer_resolves_or_signs_off(money, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text(",".join(STATEMENT_COLUMNS) + "\n", encoding="utf-8")
    assert money("reconcile", "--month", "2026-03", "--file", str(path)).exit_code == 0
    _one_line_error(money("reconcile", "sign-off", "--month", "2026-03", "--as", "CW1"),
                    "CW1", "needs the role finance")
    _one_line_error(money("reconcile", "resolve", "1", "--as", "AP1", "--reason", "looked at it"),
                    "AP1", "needs the role finance")


@pytest.mark.parametrize("args,fragments", [
    (("reconcile", "--month", "2026-13", "--file", "{empty}"), ("month", "2026-03")),
    (("reconcile", "--month", "2026-03", "--file", "/no/such/statement.csv"), ("file", "does not exist")),
    (("reconcile", "exceptions", "--month", "2026-03"), ("2026-03", "has not been reconciled")),
    (("reconcile", "sign-off", "--month", "March", "--as", "FI1"), ("month",)),
    (("reconcile", "resolve", "999", "--as", "FI1", "--reason", "looked at it"), ("exception 999", "does not exist")),
    (("reconcile", "resolve", "1", "--as", "FI1", "--reason", " "), ("reason", "is required")),
])
def test_bad_reconciliation_input_gets_one_line_naming_the_problem(money, tmp_path, args, fragments):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(STATEMENT_COLUMNS) + "\n", encoding="utf-8")
    _one_line_error(money(*[a.format(empty=empty) for a in args]), *fragments)


def test_a_bad_statement_line_is_named_by_row_and_field_without_echoing_what_it_held(money, tmp_path):
    mobile, resident = "13800130001", resident_id(seq=1)
    lines = [",".join(STATEMENT_COLUMNS),
             f"HA-2026-000001-P1,sbx-1,{mobile},2026-03-10T10:00:00+08:00,15.00,{resident}"]
    path = tmp_path / "statement.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = money("reconcile", "--month", "2026-03", "--file", str(path), "--as", "FI1")
    _one_line_error(result, "row 2", "status")
    assert mobile not in result.output and resident not in result.output
    with transaction(money.engine) as s:
        assert s.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one() == 0
