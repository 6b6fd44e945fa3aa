"""The audit trail as people read it: the whole chain checked, one case's history.

Each call is its own unit of work over ``services.audit``; the events come back detached.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from models.audit import AuditEvent
from services import audit_checkpoints
from services.audit import ChainReport, case_history, verify_chain
from services.audit_replay import ReplayReport, replay
from services.db import transaction


def verify_audit_chain(*, checkpoints: Path | None = None, engine: Engine | None = None) -> ChainReport:
    """Walk every event in order and report whether the keyed hash chain is intact and agrees
    with every checkpoint published (``services.audit_checkpoints``)."""
    with transaction(engine) as session:
        report = verify_chain(session)
        if not report.intact:
            return report
        try:
            published = audit_checkpoints.published(checkpoints)
        except ValueError as exc:
            return ChainReport(report.events, False, 0, str(exc))
        disagrees = audit_checkpoints.disagreement(session, published)
        if disagrees is not None:
            return ChainReport(report.events, False, disagrees[0], disagrees[1])
        return ChainReport(report.events, True, checkpoints=len(published))


def replay_audit_trail(*, engine: Engine | None = None) -> ReplayReport:
    """``audit verify --deep``: every case, payout, obligation and ledger balance per case
    compared with what the trail says it is."""
    with transaction(engine) as session:
        return replay(session)


def publish_checkpoint(*, path: Path | None = None, engine: Engine | None = None) -> audit_checkpoints.Checkpoint:
    """Sign the chain's head as it is now and append it to the published checkpoints."""
    with transaction(engine) as session:
        checkpoint = audit_checkpoints.sign_head(session)
    audit_checkpoints.publish(checkpoint, path)
    return checkpoint


def case_audit_history(case_number: str, *, engine: Engine | None = None) -> list[AuditEvent]:
    """A case's events in order; NotFound when it has none."""
    with transaction(engine) as session:
        return case_history(session, case_number)
