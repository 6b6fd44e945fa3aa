"""Waking the Prefect run that waits for a case, or starting a fresh one that picks it up.

Our database holds the decision; this is only so that the case carries on without someone
opening the UI. When Prefect cannot be reached, the case still carries on at its next run.
"""

from __future__ import annotations

import logging

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

log = logging.getLogger(__name__)
PROCESS_DEPLOYMENT = "hardship-case/process"


def wake_case(case_number: str, run_input: dict[str, object]) -> str:
    """Resume a suspended run of the case, or start a fresh one. Returns what was done."""
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=case_number)), limit=50)
        paused = [r for r in runs if r.state is not None and r.state.type == StateType.PAUSED]
        if paused:
            for run in paused:
                resume_flow_run(run.id, run_input=run_input)
            return f"resumed the waiting run {paused[0].name}"
        run = run_deployment(PROCESS_DEPLOYMENT, parameters={"case_number": case_number}, timeout=0)
        return f"started run {run.name}"
    except Exception as exc:  # noqa: BLE001 - the decision is stored; waking is a convenience
        log.warning("could not reach Prefect to wake %s: %s", case_number, type(exc).__name__)
        return "Prefect could not be reached; the case carries on at its next run"
