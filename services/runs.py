"""Waking the Prefect run that waits for a case, or starting a fresh one that picks it up.

Our database holds the decision; this is only so that the case carries on without someone
opening the UI. When Prefect cannot be reached, the case still carries on at its next run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import cast
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

from services.prefect_env import our_prefect_server

log = logging.getLogger(__name__)
PROCESS_DEPLOYMENT = "hardship-case/process"


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


def _wake(case_number: str, run_input: dict[str, object]) -> str:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=case_number)), limit=50)
    paused = [r for r in runs if r.state is not None and r.state.type == StateType.PAUSED]
    if paused:
        for run in paused:
            _resume(run.id, run_input)
        return f"resumed the waiting run {paused[0].name}"
    return _start(case_number)


def _start(case_number: str) -> str:
    # Never a subflow of the caller (the intake run): Prefect cannot suspend a subflow, and the case's
    # run must be able to wait for its decision. Prefect's async_dispatch types the result as
    # FlowRun | Coroutine; called from sync code (no event loop) it runs the sync version.
    run = cast(FlowRun, run_deployment(PROCESS_DEPLOYMENT, parameters={"case_number": case_number}, timeout=0,
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
