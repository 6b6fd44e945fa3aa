"""Tasks over the audit trail."""

from __future__ import annotations

from prefect import task

from services.audit import ChainReport, verify_chain
from services.db import transaction
from tasks.retry import retry_on_transient


@task(name="verify-audit-chain", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def verify_audit_chain() -> ChainReport:
    with transaction() as session:
        return verify_chain(session)
