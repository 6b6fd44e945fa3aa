"""`unionaid approve` and `unionaid reject` wake the run that waits for the case: the hardship-case
run is really suspended on the test Prefect server (served by a runner process, as `make up`
serves it), the decision comes through the command line, and the same run carries the case on."""

from __future__ import annotations

import time

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL
from sqlalchemy import select
from typer.testing import CliRunner

from casetypes.hardship import hardship_intake
from models.cases import Case
from models.enums import CaseStatus
from services.db import transaction
from services.settings import get_settings
from tests.factories import fresh_code, typed_in
from tests.flows.test_hardship_approval_wait import _serve, _stop, _wait_for_form
from tests.flows.test_hardship_flows import form
from unionaid_cli.main import app

FINISHED = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


def unionaid(*args: str):
    """The command line in this process, talking to the test Prefect server."""
    api = PREFECT_API_URL.value()
    assert api, "the Prefect test server is not up"
    return CliRunner().invoke(app, list(args), env={"PREFECT_API_URL": api}, catch_exceptions=False)


def runs_of(case_number: str) -> set:
    with get_client(sync_client=True) as client:
        return {r.id for r in client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=case_number)), limit=50)}


def case_row(engine, number: str) -> Case:
    with transaction(engine) as s:
        return s.execute(select(Case).where(Case.case_number == number)).scalar_one()


def transfers(reference: str) -> int:
    return httpx.get(f"{get_settings().payment_url}/sandbox/transfers/count",
                     params={"reference": reference}).json()["transfers"]


@pytest.fixture
def suspended(services_up, tmp_path):
    """A case waiting for approval in a suspended deployment run (its input form stored), and the
    runner that serves the deployments still up to carry the run on once it is resumed."""
    number = hardship_intake(*typed_in(form()))
    assert case_row(services_up, number).status == CaseStatus.awaiting_approval
    runner = _serve(services_up, tmp_path, "runner")
    try:
        run = run_deployment("case/hardship", parameters={"case_number": number}, timeout=0)
        waiting = _wait_for_form(run.id)
        assert waiting.state.name == "Suspended"
        yield number, run.id
    finally:
        _stop(runner)


def a_paused_run_named_like(number: str):
    """A paused run of the same name that is not this case's own: on a shared Prefect server,
    another database's case of the same number."""
    from prefect import flow
    from prefect.states import Paused

    @flow(name="case")
    def somebody_elses(case_number: str) -> None:
        raise AssertionError("never run")

    with get_client(sync_client=True) as client:
        return client.create_flow_run(somebody_elses, name=f"hardship-{number}", parameters={"case_number": number},
                                      state=Paused(timeout_seconds=3600, pause_key="elsewhere"))


def _wait_for_status(engine, number, status, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if case_row(engine, number).status == status:
            return
        time.sleep(0.5)
    pytest.fail(f"{number} did not become {status.value} in {timeout} s")


def test_unionaid_approve_ends_the_waiting_run_and_a_fresh_one_pays_and_closes_the_case(services_up, suspended):
    number, run_id = suspended
    decoy = a_paused_run_named_like(number)
    before = runs_of(number)
    result = unionaid("approve", number, "--as", "AP1", "--code", fresh_code(services_up, "AP1"),
                      "--reason", "income verified", "--amount", "1500")
    assert result.exit_code == 0, result.output
    assert f"{number}: approved for ¥1,500.00" in result.output
    assert f"ended the waiting run hardship-{number}; started run" in result.output

    _wait_for_status(services_up, number, CaseStatus.closed)  # the fresh run paid it; nothing went to the old one
    case = case_row(services_up, number)
    assert (case.status, case.paid_fen) == (CaseStatus.closed, 150000)
    assert transfers(f"{number}-P1") == 1
    assert len(runs_of(number)) == len(before) + 1  # one fresh run carried it on
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(decoy.id).state.type == StateType.PAUSED  # found by id, not by name


def test_unionaid_reject_ends_the_waiting_run_and_the_case_stays_rejected_with_nothing_paid(services_up,
                                                                                           suspended):
    number, run_id = suspended
    result = unionaid("reject", number, "--as", "AP1", "--code", fresh_code(services_up, "AP1"),
                      "--reason", "household owns a second flat")
    assert result.exit_code == 0, result.output
    assert f"{number}: rejected" in result.output
    assert f"ended the waiting run hardship-{number}; started run" in result.output

    case = case_row(services_up, number)
    assert (case.status, case.paid_fen) == (CaseStatus.rejected, 0)
    assert transfers(f"{number}-P1") == 0
