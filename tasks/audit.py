"""Tasks over the audit trail."""

from __future__ import annotations

from prefect import task

from services import audit_queries
from services.audit import ChainReport
from services.audit_checkpoints import Checkpoint
from tasks.retry import retry_on_transient


@task(name="verify-audit-chain", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def verify_audit_chain() -> ChainReport:
    return audit_queries.verify_audit_chain()


@task(name="publish-audit-checkpoint", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def publish_audit_checkpoint() -> Checkpoint:
    return audit_queries.publish_checkpoint()
