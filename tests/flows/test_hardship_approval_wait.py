"""Waiting days for approval: the run is suspended (its process freed) and survives a restart of the
serving process and of the Prefect server."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run
from prefect.settings import PREFECT_API_URL, temporary_settings

from casetypes.hardship import hardship_intake
from models.enums import CaseStatus
from services import approvals
from services.runs import wake_case
from services.settings import REPO_ROOT
from tests.factories import as_staff, fresh_code, typed_in
from tests.flows.test_hardship_flows import form, status_of


def _serve(flow_db, tmp_path, name):
    """A runner serving our deployments, in its own process (as `make up` runs it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_RUNNER_POLL_FREQUENCY="1",
               PREFECT_HOME=str(tmp_path / "runner-home"), UNIONAID_DATABASE_URL=str(flow_db.url))
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "deployments"], cwd=REPO_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    with get_client(sync_client=True) as client:
        try:  # an earlier test's runner may have registered it already: wait for this one's registration
            before = client.read_deployment_by_name("case/hardship").updated
        except Exception:  # noqa: BLE001 - never registered on this server
            before = None
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
            try:
                updated = client.read_deployment_by_name("case/hardship").updated
                if before is None or (updated is not None and updated > before):
                    time.sleep(2)  # registered by this runner; give it a moment to start polling
                    return process
            except Exception:  # noqa: BLE001 - not registered yet
                pass
            time.sleep(1)
    pytest.fail("the runner did not register the deployments")


def _prefect_server(home, port, name, tmp_path):
    """A Prefect server of its own (its SQLite database under ``home``), as `make up` starts one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail("the Prefect server did not start")


def _stop(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)  # a crash, not a clean shutdown
    except ProcessLookupError:
        pass  # stopped already
    process.wait(30)


def _wait_for(run_id, types, timeout=120):
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state and run.state.type in types:
                return run
            time.sleep(1)
    pytest.fail(f"run did not reach {types} in {timeout} s (last: {run.state.name if run.state else None})")


def _wait_for_form(run_id, timeout=120):
    """Wait until the run is paused and its input form is stored, as when the UI shows the form.

    Prefect marks a run paused a moment before it stores the form's schema.
    """
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            keyset = run.state.state_details.run_input_keyset if run.state and run.state.is_paused() else None
            if keyset:
                try:
                    client.read_flow_run_input(run_id, keyset["schema"])
                    return run
                except httpx.HTTPStatusError:  # not stored yet
                    pass
            time.sleep(0.5)
    pytest.fail(f"the run's input form did not appear in {timeout} s")


def _wait_for_status(engine, case_number, status, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status_of(engine, case_number) == status:
            return
        time.sleep(0.5)
    pytest.fail(f"{case_number} did not become {status.value} in {timeout} s (is {status_of(engine, case_number).value})")


def _wait_for_refusal(engine, case_number, timeout=60):
    """The refusal the run audits before it waits again (services.approvals.record_refused_decision)."""
    from sqlalchemy import select

    from models.audit import AuditEvent
    from services.db import transaction

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with transaction(engine) as s:
            found = s.execute(select(AuditEvent).where(AuditEvent.case_number == case_number,
                                                       AuditEvent.action == "decision_refused")).scalars().all()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"the run did not audit the refused decision on {case_number} in {timeout} s")


def test_a_suspended_case_survives_a_restart_and_the_cli_decision_wakes_it(services_up, tmp_path):
    number = hardship_intake(*typed_in(form()))
    assert status_of(services_up, number) == CaseStatus.awaiting_approval
    runner = _serve(services_up, tmp_path, "runner-1")
    try:
        run = run_deployment("case/hardship", parameters={"case_number": number}, timeout=0)
        suspended = _wait_for(run.id, {StateType.PAUSED})
        assert suspended.state.name == "Suspended"
        assert suspended.name == f"hardship-{number}"
    finally:
        _stop(runner)  # the serving process dies while the case waits

    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=services_up)
    woken = wake_case(number)
    assert woken.startswith(f"ended the waiting run hardship-{number}; started run"), woken
    runner = _serve(services_up, tmp_path, "runner-2")
    try:
        _wait_for_status(services_up, number, CaseStatus.closed)
    finally:
        _stop(runner)
    # Nothing of the decision went to the run that waited (it is cancelled; see docs/notes.md).


def test_a_decision_typed_into_the_run_form_goes_through_the_approval_rules(services_up, tmp_path):
    number = hardship_intake(*typed_in(form()))
    runner = _serve(services_up, tmp_path, "runner")
    try:
        run = run_deployment("case/hardship", parameters={"case_number": number}, timeout=0)
        _wait_for_form(run.id)
        # The submitter tries to approve their own case from the form: refused, the run waits again.
        resume_flow_run(run.id, run_input={"decision": "approve", "approver": "CW2", "reason": "mine",
                                           "one_time_code": fresh_code(services_up, "CW2"),
                                           "approved_amount_yuan": "1500"})
        [refused] = _wait_for_refusal(services_up, number)
        assert refused.actor == "CW2" and "four-eyes rule" in refused.reason
        _wait_for_form(run.id)
        assert status_of(services_up, number) == CaseStatus.awaiting_approval
        resume_flow_run(run.id, run_input={"decision": "approve", "approver": "AP1", "reason": "eligible",
                                           "one_time_code": fresh_code(services_up, "AP1"),
                                           "approved_amount_yuan": "1500"})
        done = _wait_for(run.id, {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED})
    finally:
        _stop(runner)
    assert done.state.type == StateType.COMPLETED
    assert status_of(services_up, number) == CaseStatus.closed


def test_a_case_waiting_for_approval_survives_a_crash_of_the_prefect_server_and_of_the_runner(services_up, tmp_path):
    from sandbox.testing import free_port

    number = hardship_intake(*typed_in(form()))
    home, port = tmp_path / "prefect-home", free_port()
    server = _prefect_server(home, port, "server-1", tmp_path)
    try:
        with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
            runner = _serve(services_up, tmp_path, "runner-1")
            try:
                run = run_deployment("case/hardship", parameters={"case_number": number}, timeout=0)
                _wait_for_form(run.id)
            finally:
                _stop(runner)
            _stop(server)  # both crash while the case waits

            approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=services_up)
            server = _prefect_server(home, port, "server-2", tmp_path)
            assert wake_case(number).startswith(f"ended the waiting run hardship-{number}; started run")
            runner = _serve(services_up, tmp_path, "runner-2")
            try:
                _wait_for_status(services_up, number, CaseStatus.closed)
            finally:
                _stop(runner)
    finally:
        _stop(server)


def test_an_application_started_from_the_intake_form_hands_the_case_to_its_own_run_which_waits(services_up, tmp_path):
    """The README's path: Deployments → hardship-intake/intake → Run → Custom run. The intake run
    hands the case to a run of its own (not a subflow, which Prefect cannot suspend); that run
    waits, suspended, for the approval decision."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.states import Cancelled

    runner = _serve(services_up, tmp_path, "runner")
    try:
        application, code = typed_in(form())
        intake = run_deployment("hardship-intake/intake", timeout=0,
                                parameters={"application": application.model_dump(mode="json"), "one_time_code": code})
        done = _wait_for(intake.id, {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED})
        assert done.state.type == StateType.COMPLETED, done.state.message
        number = done.name.removeprefix("hardship-intake-")
        assert done.parameters == {"application": {"stored_as": number}}  # no form, no one-time code
        # Other tests' databases number their cases from 1 too, on the same Prefect server: the
        # case's run is the one of that name created after this intake run.
        deadline = time.monotonic() + 300
        with get_client(sync_client=True) as client:
            while not (case_runs := [r for r in client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=f"hardship-{number}")))
                    if r.created >= done.created and r.id != done.id]):
                assert time.monotonic() < deadline, "no run was started for the case"
                time.sleep(1)
        [case_run] = case_runs
        waiting = _wait_for(case_run.id, {StateType.PAUSED, StateType.FAILED, StateType.CRASHED, StateType.COMPLETED},
                            timeout=300)
        assert waiting.state.name == "Suspended", waiting.state.message
        assert waiting.parent_task_run_id is None
        assert status_of(services_up, number) == CaseStatus.awaiting_approval
        with get_client(sync_client=True) as client:  # leave no run waiting for the tests after this one
            client.set_flow_run_state(case_run.id, Cancelled(), force=True)
    finally:
        _stop(runner)
