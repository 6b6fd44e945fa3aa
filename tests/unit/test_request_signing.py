"""Request signing: the exact string that is signed, and what the server-side check refuses."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from models.errors import PermanentError
from services.http_signing import (
    REPLAY_WINDOW_S,
    sign,
    sign_request,
    signature_refusal,
    signing_string,
)
from services.payment_provider import HttpPaymentProvider

SECRET = "test-secret"
NOW = 1_780_000_000
CARD = "6222020200112345679"  # Luhn-valid test card


def headers_for(timestamp: int, nonce: str, signature: str) -> dict[str, str]:
    return {"X-Timestamp": str(timestamp), "X-Nonce": nonce, "X-Signature": signature}


def test_signing_string_is_timestamp_nonce_method_target_and_body_on_separate_lines() -> None:
    assert (
        signing_string("1780000000", "ab12", "post", "/v1/transfers", b'{"a":1}')
        == b'1780000000\nab12\nPOST\n/v1/transfers\n{"a":1}'
    )


def test_signature_is_hex_hmac_sha256_of_the_signing_string_under_the_secret() -> None:
    body = '{"payee_name":"张三"}'.encode()
    expected = hmac.new(SECRET.encode(), b"1780000000\nab12\nPOST\n/v1/transfers\n" + body, hashlib.sha256).hexdigest()

    assert sign(SECRET, "1780000000", "ab12", "POST", "/v1/transfers", body) == expected


def test_signature_matches_the_published_example_in_the_contract() -> None:
    # docs/payment-provider-contract.md quotes this value; a change here breaks other implementers.
    assert (
        sign("example-secret", "1780000000", "0123456789abcdef0123456789abcdef", "GET", "/v1/transfers/R-1", b"")
        == "59e137972bc4a193e437364651cb08f115cf04fcba67536ccbb6aca7e81b51cb"
    )


@pytest.mark.parametrize(
    "changed",
    [
        dict(timestamp="1780000001"),
        dict(nonce="ab13"),
        dict(method="PUT"),
        dict(target="/v1/transfers?x=1"),
        dict(body=b'{"a":2}'),
    ],
)
def test_changing_any_signed_part_changes_the_signature(changed: dict[str, object]) -> None:
    parts: dict[str, object] = dict(
        timestamp="1780000000", nonce="ab12", method="POST", target="/v1/transfers", body=b'{"a":1}'
    )
    original = sign(SECRET, **parts)  # type: ignore[arg-type]

    assert sign(SECRET, **{**parts, **changed}) != original  # type: ignore[arg-type]


def test_a_fresh_correctly_signed_request_is_accepted() -> None:
    signature = sign(SECRET, str(NOW), "n1", "GET", "/v1/transfers/R-1", b"")

    assert signature_refusal(SECRET, headers_for(NOW, "n1", signature), "GET", "/v1/transfers/R-1", b"", NOW) is None


@pytest.mark.parametrize("skew", [REPLAY_WINDOW_S, -REPLAY_WINDOW_S])
def test_a_timestamp_exactly_at_the_edge_of_the_replay_window_is_accepted(skew: int) -> None:
    signature = sign(SECRET, str(NOW), "n1", "GET", "/x", b"")

    assert signature_refusal(SECRET, headers_for(NOW, "n1", signature), "GET", "/x", b"", NOW + skew) is None


@pytest.mark.parametrize("skew", [REPLAY_WINDOW_S + 1, -(REPLAY_WINDOW_S + 1)])
def test_a_timestamp_outside_the_replay_window_is_refused_as_stale(skew: int) -> None:
    signature = sign(SECRET, str(NOW), "n1", "GET", "/x", b"")

    assert (
        signature_refusal(SECRET, headers_for(NOW, "n1", signature), "GET", "/x", b"", NOW + skew) == "stale_timestamp"
    )


def test_a_request_signed_with_another_secret_is_refused() -> None:
    signature = sign("another-secret", str(NOW), "n1", "GET", "/x", b"")

    assert signature_refusal(SECRET, headers_for(NOW, "n1", signature), "GET", "/x", b"", NOW) == "bad_signature"


def test_a_body_changed_after_signing_is_refused() -> None:
    signature = sign(SECRET, str(NOW), "n1", "POST", "/v1/transfers", b'{"amount_fen":100}')

    refusal = signature_refusal(
        SECRET, headers_for(NOW, "n1", signature), "POST", "/v1/transfers", b'{"amount_fen":900}', NOW
    )

    assert refusal == "bad_signature"


@pytest.mark.parametrize("missing", ["X-Timestamp", "X-Nonce", "X-Signature"])
def test_a_request_without_one_of_the_three_headers_is_refused(missing: str) -> None:
    headers = headers_for(NOW, "n1", sign(SECRET, str(NOW), "n1", "GET", "/x", b""))
    del headers[missing]

    assert signature_refusal(SECRET, headers, "GET", "/x", b"", NOW) == "missing_signature"


def test_a_timestamp_that_is_not_whole_unix_seconds_is_refused() -> None:
    headers = {"X-Timestamp": "2026-01-01T00:00:00", "X-Nonce": "n1", "X-Signature": "00"}

    assert signature_refusal(SECRET, headers, "GET", "/x", b"", NOW) == "stale_timestamp"


def test_sign_request_signs_the_path_and_query_exactly_as_sent() -> None:
    request = httpx.Request("GET", "http://provider.test/base/v1/statements", params={"day": "2026-03-05"})

    sign_request(request, SECRET, clock=lambda: NOW, nonce_factory=lambda: "n1")

    assert request.headers["X-Timestamp"] == str(NOW)
    assert request.headers["X-Nonce"] == "n1"
    assert request.headers["X-Signature"] == sign(
        SECRET, str(NOW), "n1", "GET", "/base/v1/statements?day=2026-03-05", b""
    )


def test_the_adapter_sends_requests_the_server_side_check_accepts_with_a_new_nonce_each_time() -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"error": "transfer_not_found"})

    adapter = HttpPaymentProvider(httpx.Client(transport=httpx.MockTransport(provider)), "http://p.test", "m-1", SECRET)
    adapter.query_transfer("R-1")
    adapter.query_transfer("R-1")

    for request in seen:
        target = request.url.raw_path.decode()
        assert request.headers["X-Merchant-Id"] == "m-1"
        now = int(request.headers["X-Timestamp"])
        assert signature_refusal(SECRET, request.headers, "GET", target, request.content, now) is None
    assert seen[0].headers["X-Nonce"] != seen[1].headers["X-Nonce"]
    assert len(seen[0].headers["X-Nonce"]) == 32


def test_the_signed_create_body_is_the_exact_json_sent() -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"error": "invalid_request"})

    adapter = HttpPaymentProvider(httpx.Client(transport=httpx.MockTransport(provider)), "http://p.test", "m-1", SECRET)
    with pytest.raises(PermanentError):
        adapter.create_transfer("R-1", "张三", CARD, 100, "aid")

    sent = seen[0]
    assert json.loads(sent.content)["payee_name"] == "张三"
    assert (
        signature_refusal(SECRET, sent.headers, "POST", "/v1/transfers", sent.content, int(sent.headers["X-Timestamp"]))
        is None
    )
