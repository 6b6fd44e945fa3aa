"""Insurance's tasks: thin calls into its services, passing case numbers only."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from casetypes.insurance import batch, service
from casetypes.insurance.form import InsuranceClaimForm
from models.identity import StaffClaim
from services import providers
from tasks.retry import retry_on_transient


@task(name="intake-claim", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def intake_task(claim: InsuranceClaimForm, submitted_by: StaffClaim) -> str:
    return service.intake_claim(claim, submitted_by)


@task(name="check-claim", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def check_task(case_number: str) -> service.CheckOutcome:
    return service.check_claim(case_number)


@task(name="plan-claims-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def plan_batch_task(reference: str) -> list[batch.Chunk]:
    return batch.plan(reference)


@task(name="claims-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_on_transient, task_run_name="claims-chunk-{chunk.index}")
def take_chunk_task(reference: str, chunk: batch.Chunk, pay: bool) -> batch.ChunkResult:
    """One chunk's rows: a retry finds the claims taken before it failed and takes the rest."""
    if not pay:
        return batch.take_chunk(reference, chunk)
    provider = providers.payment()
    try:
        return batch.take_chunk(reference, chunk, provider=provider)
    finally:
        provider.close()


@task(name="claims-batch-view", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def batch_view_task(reference: str) -> batch.BatchView:
    return batch.batch_view(reference)
