"""The payment adapter turns every transport failure and status into one documented error class.

No network: ``httpx.MockTransport`` plays the provider, including its failures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest
from pydantic import SecretStr

from models.errors import (
    ConfigurationError,
    ExternalServiceError,
    InputError,
    OutcomeUnknown,
    PermanentError,
    RetryableError,
)
from models.identifiers import mask_bank_card
from services.payment_provider import (
    HttpPaymentProvider,
    fen_from_yuan_text,
    from_settings,
    parse_statement,
    yuan_text,
)
from services.settings import Settings

CARD = "6222020200112345679"  # Luhn-valid test card
PAYEE = "张三"
Handler = Callable[[httpx.Request], httpx.Response]


def provider_answering(handler: Handler) -> HttpPaymentProvider:
    return HttpPaymentProvider(httpx.Client(transport=httpx.MockTransport(handler)), "http://provider.test", "m-1", "s")


def create(provider: HttpPaymentProvider) -> object:
    return provider.create_transfer("R-1", PAYEE, CARD, 12_345, "hardship aid")


def raising(exc_type: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return handler


def answering(status: int, body: object = None, **kwargs: object) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, **kwargs)  # type: ignore[arg-type]
        return httpx.Response(status, json=body, **kwargs)  # type: ignore[arg-type]

    return handler


def transfer_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "reference": "R-1",
        "provider_id": "P-9",
        "status": "succeeded",
        "amount_fen": 12_345,
        "failure_reason": None,
        "completed_at": "2026-03-05T10:00:00+08:00",
    }
    return {**body, **changes}


# --- create: the call that moves money --------------------------------------------------------


def test_a_read_timeout_on_create_leaves_the_outcome_unknown() -> None:
    with pytest.raises(OutcomeUnknown, match="query by reference"):
        create(provider_answering(raising(httpx.ReadTimeout)))


@pytest.mark.parametrize("exc_type", [httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout])
def test_a_connection_lost_after_sending_a_create_leaves_the_outcome_unknown(
    exc_type: type[httpx.TransportError],
) -> None:
    with pytest.raises(OutcomeUnknown):
        create(provider_answering(raising(exc_type)))


@pytest.mark.parametrize("exc_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_a_create_that_never_reached_the_provider_is_retryable(exc_type: type[httpx.TransportError]) -> None:
    with pytest.raises(RetryableError, match="could not be reached"):
        create(provider_answering(raising(exc_type)))


def test_429_is_retryable_and_says_when_to_try_again() -> None:
    provider = provider_answering(answering(429, {"error": "rate_limited"}, headers={"Retry-After": "7"}))

    with pytest.raises(RetryableError, match="in 7 seconds"):
        create(provider)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_on_create_leaves_the_outcome_unknown(status: int) -> None:
    with pytest.raises(OutcomeUnknown, match=f"HTTP {status}"):
        create(provider_answering(answering(status, {"error": "internal"})))


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_request"),
        (401, "bad_signature"),
        (403, "forbidden"),
        (409, "reference_conflict"),
        (422, "invalid_account"),
    ],
)
def test_a_4xx_is_permanent_and_names_the_providers_code(status: int, code: str) -> None:
    with pytest.raises(PermanentError, match=f"HTTP {status} {code}"):
        create(provider_answering(answering(status, {"error": code, "message": "whatever"})))


def test_a_redirect_is_not_followed_and_is_permanent() -> None:
    provider = provider_answering(answering(307, b"", headers={"Location": "http://elsewhere.test/v1/transfers"}))

    with pytest.raises(PermanentError, match="redirect"):
        create(provider)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>gateway says hello</html>",
        b"",
        transfer_body(status="done"),
        transfer_body(amount_fen=123.45),
        transfer_body(amount_fen="12345"),
        {k: v for k, v in transfer_body().items() if k != "provider_id"},
        transfer_body(reference="R-2"),
        transfer_body(amount_fen=99),
        transfer_body(completed_at="2026-03-05T10:00:00"),  # no offset: which day is it?
    ],
    ids=[
        "html",
        "empty",
        "unknown-status",
        "float-amount",
        "string-amount",
        "no-provider-id",
        "other-reference",
        "other-amount",
        "naive-time",
    ],
)
def test_a_create_answer_we_do_not_understand_leaves_the_outcome_unknown(body: object) -> None:
    with pytest.raises(OutcomeUnknown, match="do not understand"):
        create(provider_answering(answering(201, body)))


def test_a_definite_failure_comes_back_as_a_failed_transfer_not_as_an_error() -> None:
    body = transfer_body(status="failed", failure_reason="payee account rejected by the receiving bank")

    transfer = create(provider_answering(answering(201, body)))

    assert transfer.status == "failed"  # type: ignore[attr-defined]
    assert transfer.is_final  # type: ignore[attr-defined]


FAILING_CREATES: dict[str, Handler] = {
    "timeout": raising(httpx.ReadTimeout),
    "connect": raising(httpx.ConnectError),
    "429": answering(429, {"error": "rate_limited"}),
    "500": answering(500, {"error": "internal", "message": f"boom for {PAYEE} {CARD}"}),
    "422-echoing-the-card": answering(
        422, {"error": "invalid_account", "message": f"account {CARD} of {PAYEE} invalid"}
    ),
    "code-carrying-the-card": answering(400, {"error": f"bad_{CARD}"}),
    "malformed": answering(201, {"echo": {"bank_account": CARD, "payee_name": PAYEE}}),
}


@pytest.mark.parametrize("handler", FAILING_CREATES.values(), ids=FAILING_CREATES.keys())
def test_no_error_message_contains_the_full_bank_account_or_the_payee_name(handler: Handler) -> None:
    with pytest.raises(ExternalServiceError) as caught:
        create(provider_answering(handler))

    message = str(caught.value) + repr(caught.value)
    assert CARD not in message
    assert PAYEE not in message
    assert mask_bank_card(CARD) in message  # staff can still tell which payout it was


def test_invalid_input_is_refused_before_anything_is_sent() -> None:
    sent: list[httpx.Request] = []
    provider = provider_answering(lambda request: sent.append(request) or httpx.Response(500))

    with pytest.raises(InputError, match="bank_account"):
        provider.create_transfer("R-1", PAYEE, "6222020200112345678", 100, "")  # Luhn fails
    with pytest.raises(InputError, match="amount_fen"):
        provider.create_transfer("R-1", PAYEE, CARD, 0, "")
    with pytest.raises(InputError, match="amount_fen"):
        provider.create_transfer("R-1", PAYEE, CARD, True, "")
    with pytest.raises(InputError, match="reference"):
        provider.create_transfer("R 1/../x", PAYEE, CARD, 100, "")
    assert sent == []


# --- query and statement: read-only, so asking again is always safe ---------------------------


@pytest.mark.parametrize(
    "handler",
    [
        raising(httpx.ReadTimeout),
        raising(httpx.RemoteProtocolError),
        answering(503, {"error": "unavailable"}),
        answering(429, {}),
    ],
    ids=["timeout", "dropped", "503", "429"],
)
def test_a_failed_query_is_retryable_because_it_changes_nothing(handler: Handler) -> None:
    with pytest.raises(RetryableError):
        provider_answering(handler).query_transfer("R-1")


def test_a_reference_the_provider_never_saw_queries_as_none() -> None:
    provider = provider_answering(answering(404, {"error": "transfer_not_found"}))

    assert provider.query_transfer("R-1") is None


def test_a_404_without_the_not_found_code_is_permanent_not_a_missing_transfer() -> None:
    # A wrong base URL also answers 404; taking it for "never seen" could lead to paying twice.
    with pytest.raises(PermanentError, match="HTTP 404"):
        provider_answering(answering(404, b"Not Found")).query_transfer("R-1")


def test_a_query_answer_we_do_not_understand_is_permanent() -> None:
    with pytest.raises(PermanentError, match="do not understand"):
        provider_answering(answering(200, {"status": "succeeded"})).query_transfer("R-1")


def test_a_query_answer_about_another_reference_is_refused() -> None:
    with pytest.raises(PermanentError):
        provider_answering(answering(200, transfer_body(reference="R-2"))).query_transfer("R-1")


def test_a_query_returns_what_the_provider_holds() -> None:
    transfer = provider_answering(answering(200, transfer_body(status="processing", completed_at=None))).query_transfer(
        "R-1"
    )

    assert transfer is not None
    assert (transfer.provider_id, transfer.status, transfer.amount_fen, transfer.is_final) == (
        "P-9",
        "processing",
        12_345,
        False,
    )


STATEMENT = (
    "reference,provider_id,status,time,amount_yuan,payee_masked\n"
    "R-1,P-1,succeeded,2026-03-05T10:00:00.000+08:00,123.45,6222***********5679\n"
)


def test_a_statement_not_published_yet_is_retryable() -> None:
    provider = provider_answering(answering(404, {"error": "statement_not_ready"}))

    with pytest.raises(RetryableError, match="yet"):
        provider.download_statement(day=date(2026, 3, 5))


@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", STATEMENT),
        ("text/csv", "ref,amount\nR-1,1\n"),
        ("text/csv", STATEMENT.replace("123.45", "123.456")),
    ],
    ids=["not-csv", "other-columns", "sub-fen-amount"],
)
def test_a_statement_we_cannot_read_is_permanent(content_type: str, text: str) -> None:
    provider = provider_answering(answering(200, text, headers={"Content-Type": content_type}))

    with pytest.raises(PermanentError):
        provider.download_statement(day=date(2026, 3, 5))


def test_a_statement_is_asked_for_by_day_or_by_month() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.query, "ascii"))
        return httpx.Response(200, text=STATEMENT, headers={"Content-Type": "text/csv; charset=utf-8"})

    provider = provider_answering(handler)

    assert provider.download_statement(day=date(2026, 3, 5)) == STATEMENT
    assert provider.download_statement(month="2026-03") == STATEMENT
    assert asked == ["day=2026-03-05", "month=2026-03"]


@pytest.mark.parametrize("kwargs", [{}, {"day": date(2026, 3, 5), "month": "2026-03"}, {"month": "2026-3"}])
def test_a_statement_needs_exactly_one_well_formed_period(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        provider_answering(answering(500)).download_statement(**kwargs)  # type: ignore[arg-type]


# --- money text and statement rows ---------------------------------------------------------------


@pytest.mark.parametrize(("fen", "yuan"), [(12_345, "123.45"), (10, "0.10"), (1, "0.01"), (500_000, "5000.00")])
def test_fen_and_yuan_text_convert_exactly_both_ways(fen: int, yuan: str) -> None:
    assert yuan_text(fen) == yuan
    assert fen_from_yuan_text(yuan) == fen


@pytest.mark.parametrize("text", ["1.234", "1e3", "", "12,00", "NaN", "¥5", "-3.00", "1,200.00"])
def test_yuan_text_finer_than_a_fen_or_not_a_plain_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        fen_from_yuan_text(text)


def test_a_statement_parses_into_lines_in_fen() -> None:
    (line,) = parse_statement(STATEMENT)

    assert (line.reference, line.amount_fen, line.status) == ("R-1", 12_345, "succeeded")
    assert line.time.utcoffset() is not None


def test_a_bad_statement_row_is_reported_with_its_row_and_column() -> None:
    with pytest.raises(InputError, match="row 2: amount_yuan"):
        parse_statement(STATEMENT.replace("123.45", "abc"))


# --- construction from settings -------------------------------------------------------------------


def production_settings(payment_url: str) -> Settings:
    real = SecretStr("Xk3-not-a-placeholder-9fQz_Lm2vR8wTb5nYc7")
    return Settings(
        environment="production",
        payment_url=payment_url,
        pii_hash_key=real,
        pii_encryption_key=real,
        staff_secret_key=real,
        audit_key=real,
        audit_signing_key=real,
        payment_secret=real,
        registry_secret=real,
    )


def test_the_production_client_has_explicit_timeouts_and_never_follows_redirects() -> None:
    provider = from_settings(production_settings("https://pay.example.test"))
    client = provider._client  # the one thing worth checking from outside is how it was built

    assert client.timeout.connect == 3.0
    assert client.timeout.read == 10.0
    assert client.follow_redirects is False
    provider.close()


def test_plain_http_to_the_provider_is_refused_in_production() -> None:
    with pytest.raises(ConfigurationError, match="UNIONAID_PAYMENT_URL"):
        from_settings(production_settings("http://pay.example.test"))
