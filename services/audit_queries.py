"""The audit trail as people read it: the whole chain checked, one case's history.

Each call is its own unit of work over ``services.audit``; the events come back detached.
"""

from __future__ import annotations

from sqlalchemy import Engine

from models.audit import AuditEvent
from services.audit import ChainReport, case_history, verify_chain
from services.db import transaction


def verify_audit_chain(*, engine: Engine | None = None) -> ChainReport:
    """Walk every event in order and report whether the hash chain is intact."""
    with transaction(engine) as session:
        return verify_chain(session)


def case_audit_history(case_number: str, *, engine: Engine | None = None) -> list[AuditEvent]:
    """A case's events in order; NotFound when it has none."""
    with transaction(engine) as session:
        return case_history(session, case_number)
