"""Signed HTTP exchanges with services outside our walls (payment provider, membership registry).

Two rules are kept here, each in one place, for every adapter and for the sandboxes:

**Signing.** Every request carries ``X-Timestamp`` (unix seconds), ``X-Nonce`` (random hex) and
``X-Signature`` = hex HMAC-SHA256(secret, ``"{timestamp}\\n{nonce}\\n{METHOD}\\n{target}\\n{body}"``),
where *target* is the path plus ``?query`` exactly as sent and *body* the raw bytes (empty for
GET). The server refuses a timestamp more than ``REPLAY_WINDOW_S`` away from its clock and a nonce
it has already seen, so a captured request cannot be played again.

**Translation.** :func:`exchange` is the only place where httpx exceptions and HTTP statuses
become our errors (``models.errors``)::

    what happened                                      moves money      read-only
    connect error, connect or pool timeout             RetryableError   RetryableError
      (the request never reached the server)
    read/write timeout, dropped connection,            OutcomeUnknown   RetryableError
      protocol error once the request was sent
    408, 429                                           RetryableError   RetryableError
    5xx (gateways send them too: nobody can vouch)     OutcomeUnknown   RetryableError
    3xx (redirects are never followed), other 4xx      PermanentError   PermanentError
    2xx whose body does not have the expected shape    OutcomeUnknown   PermanentError
    404 carrying the operation's "absent" code         None: the thing does not exist
    4xx carrying the operation's "not ready" code      RetryableError (e.g. tomorrow's statement)

Messages name the service, the action (described by the caller without personal data) and what
to do next. The provider's own error text is never repeated: it may echo what we sent.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx

from models.errors import (
    ConfigurationError,
    OutcomeUnknown,
    PermanentError,
    RetryableError,
)

REPLAY_WINDOW_S = 300
TIMESTAMP_HEADER = "X-Timestamp"
NONCE_HEADER = "X-Nonce"
SIGNATURE_HEADER = "X-Signature"
MERCHANT_HEADER = "X-Merchant-Id"

# Connect fast (a dead host should not hold a worker), give the provider time to answer.
DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)

# Letters and underscores only: a digit in a "code" could be a card, ID or phone number echoed back.
_ERROR_CODE = re.compile(r"^[A-Za-z_]{1,40}$")
T = TypeVar("T")


# --- signing ---------------------------------------------------------------------------------


def signing_string(timestamp: str, nonce: str, method: str, target: str, body: bytes) -> bytes:
    """The exact bytes that are signed; both sides must build them the same way."""
    head = f"{timestamp}\n{nonce}\n{method.upper()}\n{target}\n".encode()
    return head + body


def sign(secret: str, timestamp: str, nonce: str, method: str, target: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over :func:`signing_string`."""
    message = signing_string(timestamp, nonce, method, target, body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def request_target(url: httpx.URL) -> str:
    """Path and query as they go on the wire (what the server sees), e.g. ``/v1/statements?day=…``."""
    return url.raw_path.decode("ascii")


def sign_request(
    request: httpx.Request,
    secret: str,
    *,
    clock: Callable[[], float] = time.time,
    nonce_factory: Callable[[], str] = new_nonce,
) -> httpx.Request:
    """Add timestamp, nonce and signature headers to a built request (its body must be bytes)."""
    timestamp = str(int(clock()))
    nonce = nonce_factory()
    body = request.content  # built from bytes, so already read
    request.headers[TIMESTAMP_HEADER] = timestamp
    request.headers[NONCE_HEADER] = nonce
    request.headers[SIGNATURE_HEADER] = sign(
        secret, timestamp, nonce, request.method, request_target(request.url), body
    )
    return request


def signature_refusal(
    secret: str,
    headers: Mapping[str, str],
    method: str,
    target: str,
    body: bytes,
    now: float,
) -> str | None:
    """Why a received request must be refused, as an error code, or None if it is authentic.

    Nonce uniqueness is left to the server's own store; this checks presence, the replay window
    and the signature (in constant time).
    """
    timestamp = headers.get(TIMESTAMP_HEADER) or headers.get(TIMESTAMP_HEADER.lower())
    nonce = headers.get(NONCE_HEADER) or headers.get(NONCE_HEADER.lower())
    signature = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
    if not (timestamp and nonce and signature):
        return "missing_signature"
    if not timestamp.isdigit() or abs(now - int(timestamp)) > REPLAY_WINDOW_S:
        return "stale_timestamp"
    expected = sign(secret, timestamp, nonce, method, target, body)
    if not hmac.compare_digest(expected, signature.lower()):
        return "bad_signature"
    return None


def build_client() -> httpx.Client:
    """The one way we build a client for an outside service: explicit timeouts, TLS verified,
    redirects not followed (a redirected money request must not be replayed somewhere else)."""
    return httpx.Client(
        timeout=DEFAULT_TIMEOUT,
        limits=DEFAULT_LIMITS,
        verify=True,
        follow_redirects=False,
        headers={"User-Agent": "unionaid/0.1"},
    )


def require_https_in_production(url: str, variable: str, environment: str) -> str:
    """Money and member data travel over TLS in production; plain http is for the local sandboxes."""
    if environment == "production" and not url.startswith("https://"):
        raise ConfigurationError(f"{variable} must be an https:// URL in production")
    return url


class SignedHttpService:
    """What every adapter to an outside service holds: an injected client (the test seam), the
    base URL, the shared secret, and the clock and nonces its signatures use."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce_factory: Callable[[], str] = new_nonce,
    ) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._secret = secret
        self._clock = clock
        self._nonce_factory = nonce_factory

    def _signed(self, request: httpx.Request) -> httpx.Request:
        return sign_request(request, self._secret, clock=self._clock, nonce_factory=self._nonce_factory)

    def close(self) -> None:
        self._client.close()


# --- translation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to an outside service, described for error messages without personal data."""

    service: str  # "payment provider"
    action: str  # "create transfer R-1 (100.00 yuan to 6222********1234)"
    moves_money: bool


_QUERY_FIRST = "the outcome is unknown: query by reference (or resend the identical request) before anything else"
_TRY_LATER = "nothing was changed; try again later"
_STATUS_HINTS = {
    400: "the request is malformed; fix the data before sending it again",
    401: "signature, clock or credentials were rejected; check the secret, the merchant id and the system clock",
    403: "this account may not do that; ask the provider",
    404: "no such endpoint or record; check the service URL",
    409: "the reference is already used with different details; do not reuse it",
    422: "the provider rejected the data (for example the bank account); correct it first",
}


def exchange(
    client: httpx.Client,
    request: httpx.Request,
    call: Call,
    parse: Callable[[httpx.Response], T],
    *,
    absent_code: str | None = None,
    not_ready_code: str | None = None,
) -> T | None:
    """Send a signed request and return ``parse(response)``; every failure leaves as our error.

    ``parse`` raises ``ValueError`` (pydantic's ValidationError is one) when the body does not
    have the expected shape. With ``absent_code``, a 404 carrying that error code returns None;
    with ``not_ready_code``, a 4xx carrying that code means "not yet" and is retryable.
    """
    try:
        response = client.send(request)  # not streamed: the whole body is read, or this raises
    except httpx.RequestError as exc:
        raise _transport_error(exc, call) from exc

    if 200 <= response.status_code < 300:
        try:
            return parse(response)
        except ValueError:
            if call.moves_money:
                raise OutcomeUnknown(
                    f"{call.service} answered '{call.action}' with a body we do not understand; {_QUERY_FIRST}"
                ) from None
            raise PermanentError(
                f"{call.service} answered '{call.action}' with a body we do not understand; report this to the provider"
            ) from None
    code = _error_code(response)
    if response.status_code == 404 and absent_code is not None and code == absent_code:
        return None
    if not_ready_code is not None and code == not_ready_code and 400 <= response.status_code < 500:
        raise RetryableError(
            f"{call.service} cannot '{call.action}' yet (HTTP {response.status_code} {code}); try again later"
        )
    raise _status_error(response.status_code, code, response.headers.get("Retry-After"), call)


def _transport_error(exc: httpx.RequestError, call: Call) -> Exception:
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError):
        return RetryableError(f"{call.service} could not be reached ({kind}) to '{call.action}'; {_TRY_LATER}")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return PermanentError(f"{call.service} URL is not http(s) ({kind}); fix the configured URL")
    if call.moves_money:
        return OutcomeUnknown(f"no complete answer from {call.service} to '{call.action}' ({kind}); {_QUERY_FIRST}")
    return RetryableError(f"no complete answer from {call.service} to '{call.action}' ({kind}); {_TRY_LATER}")


def _status_error(status: int, code: str, retry_after: str | None, call: Call) -> Exception:
    label = f"HTTP {status} {code}"
    if status in (408, 429):
        wait = f"in {retry_after} seconds" if retry_after and retry_after.isdigit() else "later"
        return RetryableError(
            f"{call.service} turned away '{call.action}' ({label}); nothing was changed; try again {wait}"
        )
    if status >= 500:
        if call.moves_money:
            return OutcomeUnknown(f"{call.service} failed on '{call.action}' ({label}); {_QUERY_FIRST}")
        return RetryableError(f"{call.service} failed on '{call.action}' ({label}); {_TRY_LATER}")
    hint = _STATUS_HINTS.get(status, "the provider refused it; sending it again will not help")
    if 300 <= status < 400:
        hint = "the service answered with a redirect, which we never follow; check the configured URL"
    return PermanentError(f"{call.service} refused '{call.action}' ({label}): {hint}")


def _error_code(response: httpx.Response) -> str:
    """The provider's machine-readable error code if it is a plain word; never its free text."""
    try:
        payload = response.json()
    except ValueError:
        return "(no error code)"
    code = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(code, str) and _ERROR_CODE.match(code):
        return code
    return "(no error code)"
