"""The hardship intake flow: its run form is the hardship application."""

from __future__ import annotations

from prefect import flow

from casetypes.driver import take_in
from models.intake import HardshipApplication
from services.masking import install_masking
from tasks.hardship import intake_task

install_masking()


@flow(name="hardship-intake", flow_run_name="hardship-intake", log_prints=False)
def hardship_intake(application: HardshipApplication) -> str:
    """Take one hardship application; the rest of the work runs under the case number."""
    from casetypes.hardship import HARDSHIP  # the spec names this flow: it is built after it

    return take_in(HARDSHIP, intake_task, application)
