"""The audit trail: append-only, hash-chained with a key.

Each event's hash is an HMAC-SHA256, under a key that lives outside the database
(``UNIONAID_AUDIT_KEY``), over the previous event's hash and a canonical JSON encoding of the
event itself. Editing, inserting or removing any row breaks every hash after it, and whoever
edits the database without the key cannot compute a chain that verifies. Signed checkpoints of
the head, published outside the database (``services.audit_checkpoints``), catch a recompute by
someone who has the key.
Database triggers refuse UPDATE and DELETE (see the migrations); ``audit_head`` holds the
chain's head and is locked by each writer, so there is one writer at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from models.time import as_utc

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    actor: str = Field(max_length=40)
    action: str = Field(max_length=60, index=True)
    case_id: int | None = Field(default=None, index=True)
    case_number: str | None = Field(default=None, max_length=20, index=True)
    from_status: str | None = Field(default=None, max_length=40)
    to_status: str | None = Field(default=None, max_length=40)
    reason: str = Field(default="", max_length=2000)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class AuditHead(SQLModel, table=True):
    """One row (id 1): the last sequence number and hash; writers lock it."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS_HASH, max_length=64)


def _check_payload(value: Any, path: str = "payload") -> None:
    """Payloads hold str, int, bool, None, lists and dicts: floats don't encode canonically."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings")
            _check_payload(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_payload(item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, (str, int, bool))):
        raise TypeError(f"{path}: {type(value).__name__} cannot be stored in an audit payload")


def canonical_encoding(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    case_id: int | None,
    case_number: str | None,
    from_status: str | None,
    to_status: str | None,
    reason: str,
    payload: dict[str, Any],
) -> bytes:
    _check_payload(payload)
    document = {
        "seq": seq,
        "occurred_at": as_utc(occurred_at).replace(tzinfo=None).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "case_id": case_id,
        "case_number": case_number,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "payload": payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, encoding: bytes, key: bytes) -> str:
    return hmac.new(key, prev_hash.encode("ascii") + b"\n" + encoding, hashlib.sha256).hexdigest()


def event_hash(event: AuditEvent, key: bytes) -> str:
    """Recompute an event's hash from its stored fields and its stored predecessor hash."""
    return chain_hash(
        event.prev_hash,
        canonical_encoding(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            case_id=event.case_id,
            case_number=event.case_number,
            from_status=event.from_status,
            to_status=event.to_status,
            reason=event.reason,
            payload=event.payload,
        ),
        key,
    )
