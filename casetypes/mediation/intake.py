"""The mediation intake flow: its run form is the mediation application."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from casetypes.driver import take_in
from casetypes.mediation.form import MediationApplication
from casetypes.mediation.prefect_tasks import intake_task
from models.identity import CODE_PATTERN, StaffClaim
from services.masking import install_masking

install_masking()


@flow(name="mediation-intake", flow_run_name="mediation-intake", log_prints=False)
def mediation_intake(
    application: MediationApplication,
    one_time_code: Annotated[str, Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                                        description="the code of the staff member who received it")],
) -> str:
    """Take one mediation application, received by the staff member it names, who proves who they
    are with their one-time code; the rest of the work runs under the case number."""
    from casetypes.mediation import MEDIATION  # the spec names this flow: it is built after it

    return take_in(MEDIATION, intake_task, application, StaffClaim(application.caseworker.strip(), one_time_code))
