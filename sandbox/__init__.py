"""Sandboxes: real HTTP servers that stand in for the payment provider and the membership registry.

They speak the contract in ``docs/payment-provider-contract.md`` over real sockets, so the
adapters in ``services/`` are exercised exactly as in production: signatures, replay window,
nonces, idempotent references, statements, and faults injected on demand (``sandbox.payment``).

    python -m sandbox payment  --port 4301 --db var/sandbox-payment.db
    python -m sandbox registry --port 4302 --members members.json

Each app is also built in-process (``create_app``) and served from a test with
``sandbox.testing.running_server``. The sandboxes are development tools: never point production
settings at them.

Shared here: how both sandboxes refuse a request and check its signature, with the very
functions the adapters sign with (``services.http_signing``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from services.http_signing import signature_refusal

NonceSeen = Callable[[str, float], bool]  # (nonce, now) -> True if it was already used


def refuse(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer in the contract's shape: a machine code plus a message for people."""
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def request_target(request: Request) -> str:
    """Path and query as received, the same text the client signed."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    return (raw_path + (b"?" + query if query else b"")).decode("ascii")


async def check_signature(request: Request, secret: str, now: float, nonce_seen: NonceSeen) -> JSONResponse | None:
    """None if the request is authentic and fresh; otherwise the 401 to send back.

    The nonce is remembered only once the signature holds, so forged requests cannot burn nonces.
    """
    body = await request.body()
    refusal = signature_refusal(secret, request.headers, request.method, request_target(request), body, now)
    if refusal == "missing_signature":
        return refuse(401, refusal, "X-Timestamp, X-Nonce and X-Signature are required")
    if refusal == "stale_timestamp":
        return refuse(401, refusal, "X-Timestamp is more than 300 seconds away from the server clock")
    if refusal is not None:
        return refuse(401, refusal, "the signature does not match the request")
    if nonce_seen(request.headers["X-Nonce"], now):
        return refuse(401, "replayed_nonce", "this X-Nonce was already used")
    return None
