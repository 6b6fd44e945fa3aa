"""The payment adapter against the payment sandbox, over real sockets: the contract end to end."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from models.errors import OutcomeUnknown, PermanentError, RetryableError
from sandbox.payment import Faults, create_app
from sandbox.testing import running_server
from services.payment_provider import HttpPaymentProvider, Transfer, parse_statement
from tests.integration.conftest_sandbox import (  # noqa: F401  (fixtures register by import)
    HANG_MS,
    MERCHANT_ID,
    PAYMENT_SECRET,
    PaymentSandboxRun,
    adapter_for,
    card,
    free_port,
    payment_sandbox_fixture,
    payment_server_fixture,
    provider_fixture,
    sandbox_process,
)

CARD = card("622202020011234567")
OTHER_CARD = card("621700000012345678")
PAYEE = "张三"


def today_in_shanghai() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def pay(provider: HttpPaymentProvider, reference: str, amount_fen: int = 12_345, account: str = CARD) -> Transfer:
    return provider.create_transfer(reference, PAYEE, account, amount_fen, "hardship aid")


# --- the happy path and idempotency -----------------------------------------------------------


def test_a_created_transfer_is_found_by_its_reference(provider: HttpPaymentProvider) -> None:
    created = pay(provider, "HA-2026-0001")

    found = provider.query_transfer("HA-2026-0001")

    assert created.status == "succeeded"
    assert found == created


def test_a_reference_the_sandbox_never_saw_queries_as_none(provider: HttpPaymentProvider) -> None:
    assert provider.query_transfer("HA-2026-0404") is None


def test_repeating_a_create_returns_the_same_transfer_and_pays_once(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    first = pay(provider, "HA-2026-0002")
    second = pay(provider, "HA-2026-0002")

    assert second.provider_id == first.provider_id
    counts = payment_sandbox.counts("HA-2026-0002")
    assert counts["transfers"] == 1
    assert counts["create_requests"] == 2


@pytest.mark.parametrize(
    "changed", [{"amount_fen": 12_346}, {"account": OTHER_CARD}], ids=["other-amount", "other-account"]
)
def test_reusing_a_reference_with_other_details_is_refused_permanently(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun, changed: dict[str, object]
) -> None:
    pay(provider, "HA-2026-0003")

    with pytest.raises(PermanentError, match="409 reference_conflict"):
        pay(provider, "HA-2026-0003", **changed)  # type: ignore[arg-type]
    assert payment_sandbox.counts("HA-2026-0003")["transfers"] == 1


def test_concurrent_creates_for_one_reference_make_one_transfer(payment_sandbox: PaymentSandboxRun) -> None:
    results: list[Transfer] = []

    def create() -> None:
        adapter = adapter_for(payment_sandbox.base_url)
        results.append(pay(adapter, "HA-2026-0004"))
        adapter.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({t.provider_id for t in results}) == 1
    assert payment_sandbox.counts("HA-2026-0004")["transfers"] == 1


def test_the_reference_still_holds_after_the_sandbox_restarts(tmp_path: Path) -> None:
    db = tmp_path / "payment.db"
    ids = []
    for _ in range(2):
        app = create_app(db, merchant_id=MERCHANT_ID, secret=PAYMENT_SECRET)
        with running_server(app) as base_url:
            adapter = adapter_for(base_url)
            ids.append(pay(adapter, "HA-2026-0005").provider_id)
            adapter.close()

    assert ids[0] == ids[1]


# --- signatures, replay window, nonces ---------------------------------------------------------


class TamperingTransport(httpx.BaseTransport):
    """A man in the middle: changes the amount after the request was signed."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content.replace(b'"amount_fen":100', b'"amount_fen":900')
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        forged = httpx.Request(request.method, request.url, headers=headers, content=body)
        return self._inner.handle_request(forged)

    def close(self) -> None:
        self._inner.close()


def test_a_body_tampered_with_after_signing_is_refused_and_nothing_is_paid(payment_sandbox: PaymentSandboxRun) -> None:
    client = httpx.Client(transport=TamperingTransport(), timeout=2.0)
    adapter = HttpPaymentProvider(client, payment_sandbox.base_url, MERCHANT_ID, PAYMENT_SECRET)

    with pytest.raises(PermanentError, match="401 bad_signature"):
        pay(adapter, "HA-2026-0010", amount_fen=100)
    adapter.close()
    assert payment_sandbox.counts()["transfers"] == 0


def test_a_request_with_a_stale_timestamp_is_refused(payment_sandbox: PaymentSandboxRun) -> None:
    adapter = adapter_for(payment_sandbox.base_url, clock=lambda: time.time() - 301)

    with pytest.raises(PermanentError, match="401 stale_timestamp"):
        pay(adapter, "HA-2026-0011")
    adapter.close()
    assert payment_sandbox.counts()["transfers"] == 0


def test_a_replayed_nonce_is_refused(payment_sandbox: PaymentSandboxRun) -> None:
    adapter = adapter_for(payment_sandbox.base_url, nonce_factory=lambda: "0" * 32)
    pay(adapter, "HA-2026-0012")

    with pytest.raises(PermanentError, match="401 replayed_nonce"):
        pay(adapter, "HA-2026-0013")
    adapter.close()
    assert payment_sandbox.counts("HA-2026-0013")["transfers"] == 0


def test_a_wrong_secret_or_merchant_is_refused(payment_sandbox: PaymentSandboxRun) -> None:
    for adapter in (
        adapter_for(payment_sandbox.base_url, secret="not-the-secret"),
        adapter_for(payment_sandbox.base_url, merchant_id="someone-else"),
    ):
        with pytest.raises(PermanentError, match="HTTP 401"):
            adapter.query_transfer("HA-2026-0014")
        adapter.close()


# --- faults: unknown outcomes are resolved by querying -------------------------------------------


def test_a_timeout_after_commit_is_an_unknown_outcome_and_a_query_finds_it_succeeded(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(share_timeout_after_commit=1.0)
    started = time.monotonic()

    with pytest.raises(OutcomeUnknown, match="ReadTimeout"):
        pay(provider, "HA-2026-0020")

    assert time.monotonic() - started < HANG_MS / 1000  # the client gave up, it did not wait out the hang
    found = provider.query_transfer("HA-2026-0020")
    assert found is not None and found.status == "succeeded"


def test_a_lost_response_is_an_unknown_outcome_and_a_query_finds_the_transfer(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(share_lost_response=1.0)

    with pytest.raises(OutcomeUnknown):
        pay(provider, "HA-2026-0021")

    found = provider.query_transfer("HA-2026-0021")
    assert found is not None and found.status == "succeeded"


def test_a_5xx_before_commit_is_unknown_and_resending_the_identical_request_pays_once(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(share_5xx=1.0)
    with pytest.raises(OutcomeUnknown, match="HTTP 503"):
        pay(provider, "HA-2026-0022")
    payment_sandbox.set_faults(share_5xx=0.0)

    assert provider.query_transfer("HA-2026-0022") is None
    assert pay(provider, "HA-2026-0022").status == "succeeded"
    assert payment_sandbox.counts("HA-2026-0022")["transfers"] == 1


def test_the_create_request_log_lists_every_request_in_order_with_its_outcome(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(share_5xx=1.0)
    with pytest.raises(OutcomeUnknown):
        pay(provider, "HA-2026-0030-P1")
    payment_sandbox.set_faults(share_5xx=0.0, share_lost_response=1.0)
    with pytest.raises(OutcomeUnknown):
        pay(provider, "HA-2026-0030-P1")
    payment_sandbox.set_faults(share_lost_response=0.0)
    pay(provider, "HA-2026-0030-P1")
    pay(provider, "HA-2026-0031-P1")
    with pytest.raises(PermanentError):
        pay(provider, "HA-2026-0031-P1", amount_fen=1)

    log = payment_sandbox.admin.get("/sandbox/create-requests").json()
    assert [(r["reference"], r["outcome"]) for r in log] == [
        ("HA-2026-0030-P1", "fault_5xx"), ("HA-2026-0030-P1", "created+lost_response"),
        ("HA-2026-0030-P1", "repeat"), ("HA-2026-0031-P1", "created"), ("HA-2026-0031-P1", "conflict")]
    assert [r["seq"] for r in log] == sorted(r["seq"] for r in log)
    one = payment_sandbox.admin.get("/sandbox/create-requests", params={"reference": "HA-2026-0031-P1"}).json()
    assert [r["outcome"] for r in one] == ["created", "conflict"]


def test_429_is_retryable_and_nothing_is_paid(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(share_429=1.0)

    with pytest.raises(RetryableError, match="in 1 seconds"):
        pay(provider, "HA-2026-0023")
    with pytest.raises(RetryableError):
        provider.query_transfer("HA-2026-0023")
    assert payment_sandbox.counts()["transfers"] == 0


def test_a_payee_account_on_the_fail_list_gets_a_definite_failure(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(fail_payee_accounts=[OTHER_CARD])

    failed = pay(provider, "HA-2026-0024", account=OTHER_CARD)
    repeated = pay(provider, "HA-2026-0024", account=OTHER_CARD)

    assert (failed.status, failed.is_final) == ("failed", True)
    assert failed.failure_reason and OTHER_CARD not in failed.failure_reason
    assert repeated == failed
    assert pay(provider, "HA-2026-0025").status == "succeeded"  # other payees are unaffected


def test_a_transfer_reads_processing_until_it_settles(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(settle_after_ms=300)

    created = pay(provider, "HA-2026-0026")
    time.sleep(0.35)
    settled = provider.query_transfer("HA-2026-0026")

    assert (created.status, created.completed_at) == ("processing", None)
    assert settled is not None and settled.status == "succeeded" and settled.completed_at is not None


def resolve(provider: HttpPaymentProvider, reference: str, amount_fen: int, attempts: int = 40) -> Transfer:
    """What a payout task does: retry what is retryable, query what is unknown, never a new reference."""
    for _ in range(attempts):
        try:
            transfer = pay(provider, reference, amount_fen)
        except RetryableError:
            continue
        except OutcomeUnknown:
            try:
                found = provider.query_transfer(reference)
            except RetryableError:
                continue
            if found is None or not found.is_final:
                continue  # not there (yet): resend the identical request
            return found
        if transfer.is_final:
            return transfer
    raise AssertionError(f"{reference} still unresolved after {attempts} attempts")


def test_a_client_retrying_through_mixed_faults_pays_each_reference_exactly_once(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(
        share_429=0.15, share_5xx=0.15, share_timeout_after_commit=0.1, share_lost_response=0.15, seed=20260305
    )
    amounts = {f"HA-2026-1{n:03d}": 1_000 + 37 * n for n in range(12)}

    transfers = {reference: resolve(provider, reference, fen) for reference, fen in amounts.items()}

    counts = payment_sandbox.counts()
    assert counts["transfers"] == len(amounts)
    assert all(entry["transfers"] == 1 for entry in counts["by_reference"].values())
    outcomes = {outcome for entry in counts["by_reference"].values() for outcome in entry["outcomes"]}
    assert {"fault_429", "fault_5xx", "created+timeout_after_commit", "created+lost_response"} <= outcomes
    assert {ref: t.amount_fen for ref, t in transfers.items()} == amounts


# --- statements ---------------------------------------------------------------------------------------


def test_the_day_statement_lists_every_transfer_in_yuan_summing_to_the_fen_total(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(fail_payee_accounts=[OTHER_CARD])
    amounts = {"HA-2026-0030": 12_345, "HA-2026-0031": 10, "HA-2026-0032": 500_000, "HA-2026-0033": 1}
    for reference, fen in amounts.items():
        pay(provider, reference, fen)
    pay(provider, "HA-2026-0034", 777, account=OTHER_CARD)

    text = provider.download_statement(day=today_in_shanghai())
    lines = parse_statement(text)

    succeeded = {line.reference: line.amount_fen for line in lines if line.status == "succeeded"}
    assert succeeded == amounts
    assert sum(succeeded.values()) == 512_356
    assert "5000.00" in text and "0.01" in text and "123.45" in text
    assert [line.status for line in lines if line.reference == "HA-2026-0034"] == ["failed"]
    assert CARD not in text and PAYEE not in text
    assert provider.download_statement(month=today_in_shanghai().strftime("%Y-%m")) == text


def test_a_statement_for_a_day_without_transfers_has_only_the_header(provider: HttpPaymentProvider) -> None:
    assert provider.download_statement(day=date(2020, 1, 1)).splitlines() == [
        "reference,provider_id,status,time,amount_yuan,payee_masked"
    ]


def test_a_statement_before_its_publication_day_is_retryable(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    payment_sandbox.set_faults(statement_ready_after_days=1)

    with pytest.raises(RetryableError, match="statement_not_ready"):
        provider.download_statement(day=today_in_shanghai())
    assert provider.download_statement(day=date(2020, 1, 1))


# --- admin endpoints ----------------------------------------------------------------------------------


def test_fault_knobs_are_checked_and_read_back(payment_sandbox: PaymentSandboxRun) -> None:
    too_much = payment_sandbox.admin.post("/sandbox/faults", json={"share_5xx": 0.6, "share_429": 0.6})
    typo = payment_sandbox.admin.post("/sandbox/faults", json={"share_500": 0.1})
    payment_sandbox.set_faults(latency_ms=5, seed=3)

    assert (too_much.status_code, typo.status_code) == (400, 400)
    assert payment_sandbox.admin.get("/sandbox/faults").json() == {
        **Faults(hang_ms=HANG_MS).model_dump(mode="json"),
        "latency_ms": 5,
        "seed": 3,
    }


def test_reset_forgets_transfers_and_restores_the_starting_faults(
    provider: HttpPaymentProvider, payment_sandbox: PaymentSandboxRun
) -> None:
    pay(provider, "HA-2026-0040")
    payment_sandbox.set_faults(share_429=1.0)

    payment_sandbox.admin.post("/sandbox/reset").raise_for_status()

    assert payment_sandbox.counts()["transfers"] == 0
    assert payment_sandbox.admin.get("/sandbox/faults").json()["share_429"] == 0.0
    assert provider.query_transfer("HA-2026-0040") is None


# --- the command line ---------------------------------------------------------------------------------


def test_the_payment_sandbox_starts_from_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    env = {"UNIONAID_PAYMENT_MERCHANT_ID": MERCHANT_ID, "UNIONAID_PAYMENT_SECRET": PAYMENT_SECRET}
    args = ["payment", "--db", str(tmp_path / "cli.db"), "--faults", '{"seed": 1}']

    with sandbox_process(args, env, port) as base_url:
        assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}  # what `unionaid up` waits for
        adapter = adapter_for(base_url)
        assert pay(adapter, "HA-2026-0050").status == "succeeded"
        adapter.close()
    assert (tmp_path / "cli.db").exists()
