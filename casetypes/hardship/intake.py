"""The hardship intake flow: its run form is the hardship application."""

from __future__ import annotations

from typing import Annotated

from prefect import flow
from pydantic import Field

from casetypes.driver import take_in
from models.identity import CODE_PATTERN, StaffClaim
from models.intake import HardshipApplication
from services.masking import install_masking
from tasks.hardship import intake_task

install_masking()


@flow(name="hardship-intake", flow_run_name="hardship-intake", log_prints=False)
def hardship_intake(
    application: HardshipApplication,
    one_time_code: Annotated[str, Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                                        description="the caseworker's code from their authenticator app")],
) -> str:
    """Take one hardship application, submitted by the caseworker it names, who proves who they
    are with their one-time code; the rest of the work runs under the case number."""
    from casetypes.hardship import HARDSHIP  # the spec names this flow: it is built after it

    return take_in(HARDSHIP, intake_task, application, StaffClaim(application.caseworker.strip(), one_time_code))
