"""The one driver: carry a case on, step by step, from its stored status.

The database is the truth: the driver loads the case, asks its type's spec for the step of the
stored status, runs it and goes on from the status the step reports, until the case waits or
rests. Any run of it (a resumed one, a fresh one after a restart) therefore carries the case on
from where it is. Steps orchestrate only; every read and write is a task.
"""

from __future__ import annotations

from typing import Any

from prefect import get_client, get_run_logger
from prefect.context import FlowRunContext

from casetypes.labels import tag_current_run
from casetypes.spec import CaseTypeSpec
from models.enums import CaseStatus
from models.identity import StaffClaim
from services.runs import start_case_run
from tasks.cases import CaseLabel, load_case_label

MAX_STEPS = 12  # each step moves the case on or makes it wait; more than this is a loop in a spec


def drive(label: CaseLabel, spec: CaseTypeSpec) -> str:
    """Run the spec's steps from the case's stored status; returns the status it ends in."""
    tag_current_run(label.case_type, label.unit)
    case_number, status = label.case_number, CaseStatus(label.status)
    for _ in range(MAX_STEPS):
        step = spec.step_for(status)
        if step is None:
            break
        progress = step(case_number, status)
        status = progress.status
        if progress.waits:
            return status.value
    get_run_logger().info("case %s is %s", case_number, status.value)
    return status.value


def take_in(spec: CaseTypeSpec, intake_task: Any, application: Any, submitted_by: StaffClaim) -> str:
    """Store one application with the type's intake task, submitted by the staff member who
    proves who they are; then the case runs on its own.

    The form's personal data and the one-time code leave the run's parameters whatever happens:
    stored, only the case number stays; refused or failed, nothing of the form stays.
    A deployment run (the Prefect UI's form) hands the case to a run of its own deployment, never
    a subflow: only a run of its own can wait, suspended, for a decision. Called in-process (tests,
    scripts) it carries the case on in this run until it waits.
    """
    case_number: str | None = None
    try:
        case_number = intake_task(application, submitted_by)
    finally:
        _redact_parameters(spec, case_number)
    assert case_number is not None
    context = FlowRunContext.get()
    if context and context.flow_run and context.flow_run.deployment_id:
        get_run_logger().info("case %s stored; %s", case_number, start_case_run(case_number))
    else:
        drive(load_case_label(case_number), spec)
    return case_number


def _redact_parameters(spec: CaseTypeSpec, case_number: str | None) -> None:
    """The form held personal data and a one-time code: the run keeps only the case number, or,
    when nothing was stored, that nothing was."""
    context = FlowRunContext.get()
    if not (context and context.flow_run):
        return
    kept = {"stored_as": case_number} if case_number else {"stored": False}
    name = f"{spec.case_type.value}-intake-{case_number}" if case_number else f"{spec.case_type.value}-intake-refused"
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, name=name, parameters={"application": kept})
