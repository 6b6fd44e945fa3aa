"""Payout flows under Prefect against the payment sandbox over HTTP."""

import httpx
import pytest
from sqlalchemy import select

from flows.payout import pay_approved_cases, pay_case_flow, resolve_open_payouts
from models.cases import Case
from models.enums import CaseStatus
from sandbox import payment
from sandbox.testing import running_server
from services import approvals
from services.db import transaction
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff


@pytest.fixture
def sandbox(monkeypatch):
    app = payment.create_app(":memory:", merchant_id="flow-merchant", secret="flow-secret")
    with running_server(app) as url:
        monkeypatch.setenv("UNIONAID_PAYMENT_URL", url)
        monkeypatch.setenv("UNIONAID_PAYMENT_MERCHANT_ID", "flow-merchant")
        monkeypatch.setenv("UNIONAID_PAYMENT_SECRET", "flow-secret")
        get_settings.cache_clear()
        yield url
    get_settings.cache_clear()


@pytest.fixture
def approved_cases(flow_db, tmp_path, sandbox):
    factories.world(flow_db, tmp_path)
    numbers = []
    for member in ("M0001", "M0002", "M0003"):
        case = factories.hardship_case(flow_db, member=member)
        from services.cases import transition_case

        transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="go", engine=flow_db)
        transition_case(case.case_number, CaseStatus.awaiting_approval, actor="system", reason="ok", engine=flow_db)
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=flow_db)
        numbers.append(case.case_number)
    return numbers


def _statuses(engine):
    with transaction(engine) as s:
        return {c.case_number: c.status for c in s.execute(select(Case)).scalars()}


def test_paying_one_case_twice_through_the_flow_moves_money_once(approved_cases, flow_db, sandbox):
    number = approved_cases[0]
    assert pay_case_flow(number) == "succeeded"
    assert pay_case_flow(number) == "succeeded"
    count = httpx.get(f"{sandbox}/sandbox/transfers/count", params={"reference": f"{number}-P1"}).json()
    assert count["transfers"] == 1
    assert _statuses(flow_db)[number] == CaseStatus.paid


def test_the_batch_flow_pays_every_approved_case_in_one_run(approved_cases, flow_db):
    assert pay_approved_cases() == {"succeeded": 3}
    assert set(_statuses(flow_db).values()) == {CaseStatus.paid}


def test_the_resolver_finishes_a_payout_left_unknown(approved_cases, flow_db, sandbox):
    httpx.post(f"{sandbox}/sandbox/faults", json={"share_lost_response": 1.0}).raise_for_status()
    from services import payouts, providers

    [view] = payouts.pay_case(approved_cases[0], providers.payment())
    assert view.status.value == "unknown"
    httpx.post(f"{sandbox}/sandbox/faults", json={"share_lost_response": 0.0}).raise_for_status()
    assert resolve_open_payouts(older_than_seconds=0) == {"succeeded": 1}
    assert _statuses(flow_db)[approved_cases[0]] == CaseStatus.paid
