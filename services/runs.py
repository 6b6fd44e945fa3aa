"""Waking the Prefect run that waits for a case, or starting a fresh one that picks it up.

Our database holds the decision; this is only so that the case carries on without someone
opening the UI. When Prefect cannot be reached, the case still carries on at its next run.
The run that waits notes its id on the case (``case_run``) before it suspends; waking resumes
exactly that run, never one found by its name (another database's case of the same number,
on a shared Prefect server, has a run of the same name).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import cast
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import resume_flow_run

from models.cases import CaseRun
from models.enums import CaseType
from models.time import utcnow
from services.cases import load_case
from services.db import transaction
from services.prefect_env import our_prefect_server

log = logging.getLogger(__name__)


def case_deployment(case_type: CaseType) -> str:
    """The deployment of the ``case`` flow that runs cases of this type (generated per type)."""
    return f"case/{case_type.value}"


def wake_case(case_number: str, run_input: dict[str, object]) -> str:
    """Resume a suspended run of the case, or start a fresh one. Returns what was done."""
    return _reaching_prefect(case_number, lambda: _wake(case_number, run_input))


def start_case_run(case_number: str) -> str:
    """Start a run of the case's own: for a case just taken in, which no run can be waiting for
    (another database's case of the same number may be, on a shared Prefect server)."""
    return _reaching_prefect(case_number, lambda: _start(case_number))


def _reaching_prefect(case_number: str, call: Callable[[], str]) -> str:
    try:
        with our_prefect_server():
            return call()
    except Exception as exc:  # noqa: BLE001 - the case is stored; its run is a convenience
        log.warning("could not reach Prefect for %s: %s", case_number, type(exc).__name__)
        return "Prefect could not be reached; the case carries on at its next run"


def note_waiting_run(case_number: str, flow_run_id: UUID) -> None:
    """Record the run about to wait for the case's decision (the latest one wins)."""
    with transaction() as session:
        case = load_case(session, case_number)
        noted = session.get(CaseRun, case.id)
        if noted is None:
            session.add(CaseRun(case_id=case.id, flow_run_id=str(flow_run_id)))  # type: ignore[arg-type]
        else:
            noted.flow_run_id, noted.waiting_since = str(flow_run_id), utcnow()


def waiting_run_id(case_number: str) -> UUID | None:
    with transaction() as session:
        noted = session.get(CaseRun, load_case(session, case_number).id)
        return UUID(noted.flow_run_id) if noted is not None else None


def _wake(case_number: str, run_input: dict[str, object]) -> str:
    run_id = waiting_run_id(case_number)
    if run_id is not None:
        with get_client(sync_client=True) as client:
            try:
                run: FlowRun | None = client.read_flow_run(run_id)
            except ObjectNotFound:
                run = None
        if run is not None and run.state is not None and run.state.type == StateType.PAUSED:
            _resume(run.id, run_input)
            return f"resumed the waiting run {run.name}"
    return _start(case_number)


def _start(case_number: str) -> str:
    # Never a subflow of the caller (the intake run): Prefect cannot suspend a subflow, and the case's
    # run must be able to wait for its decision. Prefect's async_dispatch types the result as
    # FlowRun | Coroutine; called from sync code (no event loop) it runs the sync version.
    deployment = case_deployment(CaseType.from_case_number(case_number))
    run = cast(FlowRun, run_deployment(deployment, parameters={"case_number": case_number}, timeout=0,
                                       as_subflow=False))
    return f"started run {run.name}"


def _resume(run_id: UUID, run_input: dict[str, object], patience_seconds: float = 15.0) -> None:
    """Resume a paused run, allowing for the moment between its pause and its form being stored.

    Prefect marks a run paused first and stores the schema of its input form just after; a resume
    in between is refused with "Run input schema not found".
    """
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            resume_flow_run(run_id, run_input=run_input)
            return
        except RuntimeError as exc:
            if "schema not found" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.25)
