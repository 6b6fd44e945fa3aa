"""Membership registry sandbox: serves members from a JSON file over signed HTTP.

Rules kept: the same signature, replay window and nonce checks as the payment sandbox (401 and
nothing answered otherwise); ``GET /v1/members/{member_number}`` returns the member or 404
``member_not_found``; ``GET /health`` is unsigned. The members file is checked at start-up, so a typo fails loudly before
any test or flow relies on it.

Members file: a JSON list of objects with ``member_number``, ``status`` (active, suspended,
left), ``unit_code``, ``join_date`` (YYYY-MM-DD), ``name`` and ``resident_id_hash`` (64 hex
characters: ``models.identifiers.keyed_hash`` of the normalised resident ID).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import check_signature, refuse
from services.http_signing import REPLAY_WINDOW_S


class MemberRecord(BaseModel):
    """One member as the registry file holds them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_number: str = Field(min_length=1, max_length=32)
    status: Literal["active", "suspended", "left"]
    unit_code: str = Field(min_length=1)
    join_date: date
    name: str = Field(min_length=1)
    resident_id_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


_MEMBER_LIST = TypeAdapter(list[MemberRecord])


def load_members(path: str | Path) -> list[MemberRecord]:
    """Read and check a members file; the error names the entry and field, not the values."""
    try:
        members = _MEMBER_LIST.validate_json(Path(path).read_bytes())
    except ValidationError as exc:
        where = "; ".join(".".join(str(p) for p in err["loc"]) + ": " + err["msg"] for err in exc.errors()[:5])
        raise ValueError(f"members file {path} is invalid: {where}") from None
    _refuse_duplicates(members)
    return members


class NonceMemory:
    """Nonces seen within twice the replay window, in memory (the registry keeps no database)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def seen(self, nonce: str, now: float) -> bool:
        with self._lock:
            for old, at in list(self._seen.items()):
                if at < now - 2 * REPLAY_WINDOW_S:
                    del self._seen[old]
            if nonce in self._seen:
                return True
            self._seen[nonce] = now
            return False


def create_app(
    members: Iterable[MemberRecord | Mapping[str, Any]],
    *,
    secret: str,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The registry sandbox as an ASGI app, serving the given members."""
    records = [m if isinstance(m, MemberRecord) else MemberRecord.model_validate(m) for m in members]
    _refuse_duplicates(records)
    by_number = {m.member_number: m for m in records}
    nonces = NonceMemory()

    async def lookup(request: Request) -> Response:
        if (refusal := await check_signature(request, secret, clock(), nonces.seen)) is not None:
            return refusal
        member = by_number.get(request.path_params["member_number"])
        if member is None:
            return refuse(404, "member_not_found", "no member with this number")
        return JSONResponse(json.loads(member.model_dump_json()))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "members": len(by_number)})

    return Starlette(
        routes=[
            Route("/v1/members/{member_number}", lookup, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


def _refuse_duplicates(members: list[MemberRecord]) -> None:
    numbers = [m.member_number for m in members]
    if len(numbers) != len(set(numbers)):
        raise ValueError("member_number must be unique in the members file")
