"""Mediation end to end under Prefect: the intake run takes the application and keeps nothing of
the worker in its parameters, the case is checked and waits for its body's decision, and runs
carry it on from its stored status (accepted → agreement; declined; the clock runs out)."""

import asyncio
from datetime import date

from prefect import get_client
from sqlalchemy import select

from casetypes.mediation import mediation_intake, service
from casetypes.mediation.form import parse_mediation, parse_terms
from flows.case import case as case_flow
from flows.deadlines import deadlines
from models.audit import AuditEvent
from models.enums import CaseStatus
from models.time import time_fixed_at
from services.audit import verify_chain
from services.db import transaction
from tests.factories import as_staff, typed_in
from tests.flows.test_hardship_flows import status_of
from tests.mediation import WORKER_ID, at, form, mediation_org

TODAY = date(2026, 10, 9)


def taken(engine, **changes):
    mediation_org(engine)
    with time_fixed_at(at(TODAY)):
        state = mediation_intake(*typed_in(parse_mediation(form(**changes))), return_state=True)
    return state, state.result()


def run_of(flow_run_id):
    async def read():
        async with get_client() as client:
            run = await client.read_flow_run(flow_run_id)
            logs = await client.read_logs()
            return run, logs
    return asyncio.run(read())


def test_the_intake_run_checks_the_case_and_keeps_nothing_of_the_worker(services_up):
    state, number = taken(services_up)
    assert status_of(services_up, number) == CaseStatus.awaiting_approval  # waits for acceptance
    run, logs = run_of(state.state_details.flow_run_id)
    assert run.parameters == {"application": {"stored_as": number}} and run.name == f"mediation-intake-{number}"
    text = str(run.parameters) + " ".join(log.message for log in logs)
    assert WORKER_ID not in text and "李四" not in text


def test_an_accepted_case_rests_until_its_agreement_and_a_fresh_run_changes_nothing(services_up):
    _, number = taken(services_up)
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=services_up)
        assert case_flow(number) == "accepted"
        service.record_session(number, by=as_staff("MD2"), held_on=TODAY, attendees="双方", summary="陈述",
                               next_step="协议", engine=services_up)
        service.draft_agreement(number, parse_terms({"waived": ["其余请求"]}), by=as_staff("MD2"), engine=services_up)
        for mark in ("worker", "employer", "mediator", "seal"):
            service.sign_agreement(number, mark, on=TODAY, by=as_staff("MD2"), engine=services_up)
        assert case_flow(number) == "agreement_reached"
    with transaction(services_up) as s:
        actions = [e.action for e in s.execute(select(AuditEvent).where(AuditEvent.case_number == number)
                                               .order_by(AuditEvent.seq)).scalars()]
        assert verify_chain(s).intact
    assert actions[:4] == ["submit", "start_verification", "checks_done", "accept_mediation"]
    assert actions[-2:] == ["agreement_marked", "record_agreement"]


def test_a_declined_case_rests_rejected(services_up):
    _, number = taken(services_up, relationship="commercial")
    service.decline_case(number, by=as_staff("AP2"), reason="经济纠纷，不属劳动争议", engine=services_up)
    assert case_flow(number) == "rejected"


def test_the_daily_run_refers_an_accepted_case_whose_fifteen_days_ran_out(services_up):
    _, number = taken(services_up, dispute_type="termination", still_employed=False, employed_until="2026-09-30",
                      knew_on="2026-09-30", claims=[{"kind": "compensation", "amount_yuan": "40000"}])
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=services_up)
    state = deadlines(on=date(2026, 10, 27), return_state=True)
    assert state.result()["breached"] == 1
    assert status_of(services_up, number) == CaseStatus.referred_to_arbitration
    # mediation ended with the clock's last day, Monday 26 October: a full year again from then
    assert service.mediation_view(number, engine=services_up).arbitration_by == date(2027, 10, 26)
