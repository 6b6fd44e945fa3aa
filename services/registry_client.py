"""The membership registry adapter: is this person a member, of which unit, since when.

Rules kept:
- Look-ups are signed like payment requests (``services.http_signing``); the registry has no
  merchant id, the shared secret alone identifies us.
- A member the registry does not know is ``None``, not an error: the caller decides what that
  means for the case. Every other failure is ``RetryableError`` (timeouts, 429, 5xx: a look-up
  changes nothing, so asking again is always safe) or ``PermanentError`` (refused, unreadable).
- The member's name and resident-ID hash are personal data: they are kept out of ``repr`` so a
  logged object does not leak them, and no error message carries them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from models.errors import InputError
from services.http_signing import (
    Call,
    SignedHttpService,
    build_client,
    exchange,
    require_https_in_production,
)
from services.settings import Settings

MembershipStatus = Literal["active", "suspended", "left"]
SERVICE = "membership registry"


@dataclass(frozen=True)
class RegistryMember:
    """A member as the registry holds them."""

    member_number: str
    status: MembershipStatus
    unit_code: str
    join_date: date
    name: str = field(repr=False)
    resident_id_hash: str = field(repr=False)  # keyed_hash(pii_hash_key, normalised resident ID)

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class MembershipRegistry(Protocol):
    def lookup(self, member_number: str) -> RegistryMember | None: ...


class _MemberBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    member_number: str = Field(min_length=1)
    status: MembershipStatus
    unit_code: str = Field(min_length=1)
    join_date: date
    name: str = Field(min_length=1)
    resident_id_hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class HttpMembershipRegistry(SignedHttpService):
    """``MembershipRegistry`` over signed HTTP: ``GET /v1/members/{member_number}``."""

    def lookup(self, member_number: str) -> RegistryMember | None:
        """The registry's record for a member number, or None if it has no such member."""
        cleaned = (member_number or "").strip()
        if not cleaned or len(cleaned) > 32:
            raise InputError("member_number", "is required and at most 32 characters")
        request = self._client.build_request(
            "GET", f"{self._base_url}/v1/members/{quote(cleaned, safe='')}", headers={"Accept": "application/json"}
        )
        self._signed(request)
        call = Call(SERVICE, f"look up member {cleaned}", moves_money=False)
        return exchange(self._client, request, call, _member_parser(cleaned), absent_code="member_not_found")


def from_settings(settings: Settings, client: httpx.Client | None = None) -> HttpMembershipRegistry:
    """The production adapter: explicit timeouts, TLS verified, no redirects, https in production."""
    base_url = require_https_in_production(settings.registry_url, "UNIONAID_REGISTRY_URL", settings.environment)
    return HttpMembershipRegistry(client or build_client(), base_url, settings.registry_secret.get_secret_value())


def _member_parser(member_number: str) -> Callable[[httpx.Response], RegistryMember]:
    def parse(response: httpx.Response) -> RegistryMember:
        body = _MemberBody.model_validate_json(response.content)
        if body.member_number != member_number:
            raise ValueError("answer is about another member")
        return RegistryMember(**body.model_dump())

    return parse
