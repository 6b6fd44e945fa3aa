"""Nightly check of the audit trail: a red run and an artifact say where the chain broke."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from models.errors import AuditChainBroken
from services.audit_checkpoints import public_key_text
from services.masking import install_masking
from tasks.audit import publish_audit_checkpoint, verify_audit_chain

install_masking()


@flow(name="audit-verify", flow_run_name="audit-verify-{scheduled}", log_prints=False)
def verify_audit_trail(scheduled: str = "manual") -> int:
    """Walk the whole chain and check it against the published checkpoints; then sign the head
    as a new checkpoint, published as this run's artifact and in the checkpoints file. Fails the
    run when the chain is broken, naming the first bad sequence (and signs nothing then)."""
    logger = get_run_logger()
    report = verify_audit_chain()
    verdict = "✅ intact" if report.intact else f"❌ broken at sequence **{report.broken_at}**: {report.what}"
    lines = [f"# Audit trail\n\n| events checked | checkpoints agreed | verdict |\n|---:|---:|---|\n"
             f"| {report.events} | {report.checkpoints or 0} | {verdict} |\n"]
    if report.intact:
        checkpoint = publish_audit_checkpoint()
        lines.append(f"\n## Checkpoint signed now\n\n```\n{checkpoint.line()}\n```\n\n"
                     f"Verifying key (Ed25519, base64): `{public_key_text()}`\n")
    create_markdown_artifact(key="audit-chain", markdown="".join(lines),
                             description="keyed hash-chain verification of the audit trail and its signed checkpoint")
    if not report.intact:
        raise AuditChainBroken(report.broken_at or 0, report.what or "unknown")
    logger.info("%s", report)
    return report.events
