"""Insurance's tasks: thin calls into its services, passing case numbers only."""

from __future__ import annotations

from prefect import task

from casetypes.insurance import service
from casetypes.insurance.form import InsuranceClaimForm
from models.identity import StaffClaim
from tasks.retry import retry_on_transient


@task(name="intake-claim", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def intake_task(claim: InsuranceClaimForm, submitted_by: StaffClaim) -> str:
    return service.intake_claim(claim, submitted_by)


@task(name="check-claim", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def check_task(case_number: str) -> service.CheckOutcome:
    return service.check_claim(case_number)
