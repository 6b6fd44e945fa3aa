"""Waking the Prefect run that waits for a case, or starting a fresh one that picks it up.

Our database holds the decision; this is only so that the case carries on without someone
opening the UI. When Prefect cannot be reached, the case still carries on at its next run.
The run that waits notes its id on the case (``case_run``) before it suspends; waking resumes
exactly that run, never one found by its name (another database's case of the same number,
on a shared Prefect server, has a run of the same name).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.input.run_input import keyset_from_base_key
from prefect.states import Cancelled
from sqlalchemy.engine import make_url

from models.cases import CaseRun
from models.enums import CaseType
from models.time import utcnow
from services.cases import load_case
from services.db import transaction
from services.prefect_env import our_prefect_server
from services.settings import get_settings

log = logging.getLogger(__name__)


def case_deployment(case_type: CaseType) -> str:
    """The deployment of the ``case`` flow that runs cases of this type (generated per type)."""
    return f"case/{case_type.value}"


def wake_case(case_number: str) -> str:
    """After a decision made outside the run (the CLI): end the suspended run that waited for it
    and start a fresh one, which carries the case on from its stored status. Nothing of the
    decision goes to Prefect. Returns what was done."""
    return _reaching_prefect(case_number, lambda: _wake(case_number))


def start_case_run(case_number: str) -> str:
    """Start a run of the case's own: for a case just taken in, which no run can be waiting for
    (another database's case of the same number may be, on a shared Prefect server)."""
    return _reaching_prefect(case_number, lambda: _start(case_number))


def carry_on(case_number: str) -> str:
    """For the sweep: start a run of the case's own, unless a live one (scheduled, pending or
    running) is carrying it on already. A run paused for a decision does not count: a case
    whose next step is the system's has no decision to wait for."""
    return _reaching_prefect(case_number, lambda: _carry_on(case_number))


def _carry_on(case_number: str) -> str:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )

    # Found by its tag, not its name: a run is named after its case only once it starts, and
    # another database's case of the same number may have a run of the same name.
    live = FlowRunFilter(tags=FlowRunFilterTags(all_=[case_tag(case_number)]), state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING])))
    with get_client(sync_client=True) as client:
        if client.read_flow_runs(flow_run_filter=live, limit=1):
            return "a run is on it"
    return _start(case_number)


def case_tag(case_number: str) -> str:
    """The tag of every run started for a case: its number and which database holds it (a case
    number is no personal data; two databases on one Prefect server have cases of one number)."""
    url = make_url(get_settings().effective_database_url).render_as_string(hide_password=True)
    return f"case:{case_number}@{hashlib.sha256(url.encode('utf-8')).hexdigest()[:8]}"


def _reaching_prefect(case_number: str, call: Callable[[], str]) -> str:
    try:
        with our_prefect_server():
            return call()
    except Exception as exc:  # noqa: BLE001 - the case is stored; its run is a convenience
        log.warning("could not reach Prefect for %s: %s", case_number, type(exc).__name__)
        return "Prefect could not be reached; the case carries on at its next run (the sweep starts one within minutes)"


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


def _wake(case_number: str) -> str:
    run_id = waiting_run_id(case_number)
    ended = ""
    if run_id is not None:
        with get_client(sync_client=True) as client:
            try:
                run: FlowRun | None = client.read_flow_run(run_id)
            except ObjectNotFound:
                run = None
            if run is not None and run.state is not None and run.state.type == StateType.PAUSED:
                client.set_flow_run_state(run.id, Cancelled(message="decided outside this run; a fresh run carries "
                                                                    "the case on"), force=True)
                ended = f"ended the waiting run {run.name}; "
    return ended + _start(case_number)


def forget_decision_input(flow_run_id: UUID, pause_key: str) -> None:
    """Delete the input a person typed into the run's decision form (``suspend_flow_run`` with
    ``key=pause_key``) from Prefect: its one-time code and reason are not Prefect's to keep."""
    keyset = keyset_from_base_key(f"suspended-{pause_key}")
    with get_client(sync_client=True) as client:
        try:
            client.delete_flow_run_input(flow_run_id=flow_run_id, key=keyset["response"])
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code != 404:  # forgotten already: a retry, or a decision from the CLI
                raise


def _start(case_number: str) -> str:
    # Never a subflow of the caller (the intake run): Prefect cannot suspend a subflow, and the case's
    # run must be able to wait for its decision. Prefect's async_dispatch types the result as
    # FlowRun | Coroutine; called from sync code (no event loop) it runs the sync version.
    deployment = case_deployment(CaseType.from_case_number(case_number))
    run = cast(FlowRun, run_deployment(deployment, parameters={"case_number": case_number}, timeout=0,
                                       as_subflow=False, tags=[case_tag(case_number)]))
    return f"started run {run.name}"


def start_deployment(deployment: str, parameters: dict[str, Any], what: str) -> str:
    """Start a run of ``deployment`` (``flow/name``) with parameters that hold no personal data;
    what to tell the person when Prefect cannot be reached (the work is stored: start it later)."""
    def start() -> str:
        run = cast(FlowRun, run_deployment(deployment, parameters=parameters, timeout=0, as_subflow=False))
        return f"started run {run.name}"

    try:
        with our_prefect_server():
            return start()
    except Exception as exc:  # noqa: BLE001 - what was asked is stored; its run is a convenience
        log.warning("could not reach Prefect for %s: %s", what, type(exc).__name__)
        return f"Prefect could not be reached: start {deployment} for {what} from the UI when it is up"
