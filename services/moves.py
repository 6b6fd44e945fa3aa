"""One guarded move for every state machine: cases, payouts, campaigns.

Rule kept: a move applies only to the row as it was read. The UPDATE is guarded by the status
read (and by the version read, where the row has one), so of concurrent movers exactly one
wins; the others learn it from the ``False`` they get back and decide what that means (a case
raises ``StaleCase``, a payout reads what the winner did). The move's audit event and its
effects join the caller's transaction, so they commit with the move or not at all.

Which moves exist, and who may make them, is each machine's table (``models.transitions``,
``models.payouts.PAYOUT_TRANSITIONS``, ``models.campaigns.CAMPAIGN_TRANSITIONS``); the caller
checks it before it calls ``move``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel, col

from models.identity import Verified
from services.audit import append_event


@dataclass(frozen=True)
class Audit:
    """The audit event a move writes."""

    actor: str | Verified  # a person acts as the identity they proved
    action: str
    reason: str = ""
    case_id: int | None = None
    case_number: str | None = None
    payload: dict[str, Any] | None = field(default=None)


def move(session: Session, row: SQLModel, to: Any, *, at: datetime, audit: Audit,
         versioned: bool = False, values: dict[str, Any] | None = None,
         effects: Callable[[], None] | None = None) -> bool:
    """Move ``row`` (a table with ``id``, ``status``, ``updated_at`` and, when ``versioned``,
    ``version``) from the status it was read with to ``to``; then its audit event and effects.
    False, with nothing written, when someone else moved it first."""
    table: Any = type(row)
    frm = row.status  # type: ignore[attr-defined]
    guards = [col(table.id) == row.id, col(table.status) == frm]  # type: ignore[attr-defined]
    changes: dict[str, Any] = {"status": to, "updated_at": at, **(values or {})}
    if versioned:
        guards.append(col(table.version) == row.version)  # type: ignore[attr-defined]
        changes["version"] = table.version + 1
    result = session.execute(update(table).where(*guards).values(**changes).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(row)
    append_event(session, actor=audit.actor, action=audit.action, case_id=audit.case_id, case_number=audit.case_number,
                 from_status=frm.value, to_status=to.value, reason=audit.reason, payload=audit.payload)
    if effects is not None:
        effects()
    return True
