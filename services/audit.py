"""Writing to and verifying the hash-chained audit trail.

``append_event`` runs inside the caller's transaction, so an event commits together with the
change it records or not at all. It locks the chain head first: one writer at a time. A person
acts as a ``Verified`` identity, and their event's payload says how they proved it
(``"authenticated": "totp"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.audit import GENESIS_HASH, AuditEvent, AuditHead, canonical_encoding, chain_hash, event_hash
from models.errors import NotFound
from models.identity import Verified
from models.time import utcnow
from services.masking import mask_text
from services.settings import get_settings


def audit_key() -> bytes:
    """The chain's HMAC key (``UNIONAID_AUDIT_KEY``): outside the database, never in it."""
    return get_settings().audit_key.get_secret_value().encode("utf-8")


def append_event(
    session: Session,
    *,
    actor: str | Verified,
    action: str,
    case_id: int | None = None,
    case_number: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    if isinstance(actor, Verified):  # a person: the trail says how they proved who they are
        payload = {**(payload or {}), "authenticated": actor.method}
        actor = actor.staff_number
    head = session.execute(select(AuditHead).where(col(AuditHead.id) == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    fields = dict(
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        case_id=case_id,
        case_number=case_number,
        from_status=from_status,
        to_status=to_status,
        reason=mask_text(reason),  # staff type free text; identifiers must not survive into it
        payload=payload or {},
    )
    digest = chain_hash(head.hash, canonical_encoding(**fields), audit_key())  # type: ignore[arg-type]
    event = AuditEvent(**fields, prev_hash=head.hash, hash=digest)  # type: ignore[arg-type]
    session.add(event)
    session.flush()
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=event.seq, hash=digest))
    return event


@dataclass(frozen=True)
class ChainReport:
    events: int
    intact: bool
    broken_at: int | None = None
    what: str | None = None
    checkpoints: int | None = None  # signed checkpoints the chain was checked against

    def __str__(self) -> str:
        if self.intact:
            against = f"; agrees with {self.checkpoints} signed checkpoint(s)" if self.checkpoints else ""
            return f"{self.events} events, chain intact{against}"
        return f"chain broken at sequence {self.broken_at}: {self.what}"


def verify_chain(session: Session, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order; report the first sequence number that does not verify."""
    key = audit_key()
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for event in events_in_order(session, batch_size):
        if event.seq != expected_seq:
            return ChainReport(count, False, expected_seq, f"event {expected_seq} is missing (next stored is {event.seq})")
        if event.prev_hash != prev_hash:
            return ChainReport(count, False, event.seq, "its previous-hash does not match the event before it")
        if event_hash(event, key) != event.hash:
            return ChainReport(count, False, event.seq, "its contents do not match its hash (the row was altered)")
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > count:
        return ChainReport(count, False, count + 1,
                           f"the chain head says {head.seq} events but {count} are stored (rows were removed at the end)")
    if head is not None and head.seq < count:
        return ChainReport(count, False, head.seq + 1,
                           f"the chain head says {head.seq} events but {count} are stored (rows were added after it)")
    if head is not None and head.hash != prev_hash:
        return ChainReport(count, False, count,
                           f"the chain head's hash is not the hash of event {count} (the trail was rewritten)")
    return ChainReport(count, True)


def events_in_order(session: Session, batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = session.execute(
            select(AuditEvent).where(col(AuditEvent.seq) > last).order_by(col(AuditEvent.seq)).limit(batch_size)
        ).scalars().all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        session.expunge_all()


def case_history(session: Session, case_number: str) -> list[AuditEvent]:
    events = session.execute(
        select(AuditEvent).where(col(AuditEvent.case_number) == case_number).order_by(col(AuditEvent.seq))
    ).scalars().all()
    if not events:
        raise NotFound(f"no audit events for case {case_number}")
    return list(events)
