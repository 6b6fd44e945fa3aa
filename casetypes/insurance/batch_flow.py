"""The claims-batch flow: one run takes a registered batch in chunks, tasks over chunks with a
bounded number at a time, a progress artifact as each chunk finishes, and a summary artifact.
A chunk that fails (after its retries) leaves its rows for the next run of the same batch; a
run again finds every claim it took and takes only the rest."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any
from uuid import UUID

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field

from casetypes.insurance import batch
from casetypes.insurance.prefect_tasks import batch_view_task, plan_batch_task, take_chunk_task
from models.errors import FieldProblem
from services.masking import install_masking

install_masking()

CONCURRENCY = 2  # chunks at a time: SQLite takes one writer at a time; the payments' HTTP calls overlap
REFERENCE_PATTERN = r"^\s*MIB-\d{8}-[0-9a-f]{10}\s*$"


def artifact_key(reference: str) -> str:
    return f"insurance-batch-{reference.strip().lower()}"


def _run_name() -> str:
    from prefect.runtime import flow_run

    reference = str((flow_run.parameters or {}).get("batch_reference", "")).strip()
    return f"insurance-batch-{reference}" if reference else "insurance-batch"


@flow(name="insurance-batch", flow_run_name=_run_name, log_prints=False,
      task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY))  # type: ignore[arg-type]
def insurance_batch(
    batch_reference: Annotated[str, Field(title="Batch reference 批次号", pattern=REFERENCE_PATTERN,
                                          description="as `unionaid insurance batch FILE` printed it")],
    pay: Annotated[bool, Field(title="Pay approved claims 支付已批准的理赔")] = True,
) -> dict[str, Any]:
    """Take a claims batch (a hospital's settlement list, registered with `unionaid insurance
    batch FILE`): every row a claim, checked and routed; the claims approved automatically paid
    from their pools. Safe to run again: nothing is taken or paid twice."""
    reference = batch_reference.strip()
    chunks = plan_batch_task(reference)
    total = sum(c.rows for c in chunks)
    progress: UUID | None = create_progress_artifact(  # type: ignore[assignment]  # sync in a sync flow
        progress=0.0, key=f"{artifact_key(reference)}-progress", description=f"claims batch {reference}: starting")
    counts: Counter[str] = Counter()
    problems: list[FieldProblem] = []
    failed, done = 0, 0
    for chunk, future in zip(chunks, take_chunk_task.map(unmapped(reference), chunks, unmapped(pay)), strict=True):
        future.wait()
        if future.state.is_completed():
            result = future.result()
            counts.update(result.counts)
            problems.extend(result.problems)
        else:  # its rows are taken when the batch runs again
            failed += 1
        done += chunk.rows
        if progress is not None:
            update_progress_artifact(progress, progress=100.0 * done / max(total, 1),
                                     description=f"claims batch {reference}: {done}/{total} rows, {failed} chunk(s) failed")
    view = batch_view_task(reference)
    create_markdown_artifact(key=artifact_key(reference), markdown=batch.summary_markdown(view, problems, failed),
                             description=f"claims batch {reference}: where it stands (no personal data)")
    outcome = {"batch": reference, "rows": view.rows, "claims": view.claims, "by_status": view.by_status,
               "bad_rows": len({p.row for p in problems}), "failed_chunks": failed}
    get_run_logger().info("claims batch %s: %s", reference, outcome)
    if failed:
        raise RuntimeError(f"claims batch {reference}: {failed} chunk(s) failed; run the batch again to take their rows")
    return outcome
