"""Hardship tasks: thin calls into the services, passing case numbers only."""

from __future__ import annotations

from prefect import task

from models.identity import StaffClaim
from models.intake import HardshipApplication
from services import intake, providers, verification
from tasks.retry import retry_on_transient


@task(name="intake-hardship", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def intake_task(application: HardshipApplication, submitted_by: StaffClaim) -> str:
    return intake.intake_hardship(application, submitted_by)


@task(name="verify-hardship", retries=3, retry_delay_seconds=[5, 30, 120], retry_condition_fn=retry_on_transient)
def verify_task(case_number: str) -> verification.VerificationOutcome:
    """Asks the registry over HTTP; a registry outage is retried, a failed rule is not."""
    registry = providers.registry()
    try:
        return verification.verify_hardship(case_number, registry)
    finally:
        registry.close()
