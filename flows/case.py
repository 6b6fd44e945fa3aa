"""The ``case`` flow: one driver for every case type.

It loads the case, looks its type up in the registry (``casetypes``) and runs the steps the
type's spec names for the stored status until the case waits or rests (``casetypes.driver``).
Each registered type gets a deployment of it, ``case/<type>`` (``case/hardship``), generated
from the registry; the intake runs and ``unionaid approve|reject`` start runs of that deployment.
"""

from __future__ import annotations

from prefect import flow

from casetypes import spec_for
from casetypes.driver import drive
from casetypes.labels import case_run_name
from models.enums import CaseType
from services.masking import install_masking
from tasks.cases import load_case_label

install_masking()


@flow(name="case", flow_run_name=case_run_name, log_prints=False)
def case(case_number: str) -> str:
    """Carry one case on from its stored status until it is finished or waits for a person."""
    label = load_case_label(case_number.upper())
    return drive(label, spec_for(CaseType(label.case_type)))
