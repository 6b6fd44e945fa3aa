"""Mediation's tasks: thin calls into its services, passing case numbers only."""

from __future__ import annotations

from prefect import task

from casetypes.mediation import service
from casetypes.mediation.form import MediationApplication
from models.identity import StaffClaim
from tasks.retry import retry_on_transient


@task(name="intake-mediation", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def intake_task(application: MediationApplication, submitted_by: StaffClaim) -> str:
    return service.intake_mediation(application, submitted_by)


@task(name="check-mediation", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def check_task(case_number: str) -> service.CheckOutcome:
    return service.verify_mediation(case_number)
