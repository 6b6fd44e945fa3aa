"""The insurance intake flow: its run form is the claim."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from casetypes.driver import take_in
from casetypes.insurance.form import InsuranceClaimForm
from casetypes.insurance.prefect_tasks import intake_task
from models.identity import CODE_PATTERN, StaffClaim
from services.masking import install_masking

install_masking()


@flow(name="insurance-intake", flow_run_name="insurance-intake", log_prints=False)
def insurance_intake(
    application: InsuranceClaimForm,
    one_time_code: Annotated[str, Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                                        description="the code of the staff member who received it")],
) -> str:
    """Take one mutual-insurance claim, received by the staff member it names, who proves who they
    are with their one-time code; the diagnosis and invoices leave the run's parameters at once."""
    from casetypes.insurance import INSURANCE  # the spec names this flow: it is built after it

    return take_in(INSURANCE, intake_task, application, StaffClaim(application.caseworker.strip(), one_time_code))
