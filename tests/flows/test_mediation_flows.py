"""Mediation end to end under Prefect: the intake run takes the application and keeps nothing of
the worker in its parameters, the case is checked and waits for its body's decision, and runs
carry it on from its stored status (accepted → agreement; declined; the clock runs out)."""

import asyncio
from datetime import date

import pytest
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
from tests.factories import as_staff, resident_id, typed_in
from tests.flows.test_hardship_flows import status_of
from tests.mediation import LONE_EMPLOYER, WORKER_ID, at, form, mediation_org

TODAY = date(2026, 10, 9)


def taken(engine, **changes):
    mediation_org(engine)
    return taken_again(**changes)


def taken_again(**changes):
    """Another application, into the world ``taken`` set up."""
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


def test_an_agreement_with_a_payment_overdue_is_reported_then_fulfilled_and_closed(services_up):
    _, number = taken(services_up)
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=services_up)
        service.record_session(number, by=as_staff("MD2"), held_on=TODAY, attendees="双方", summary="分期",
                               next_step="协议", engine=services_up)
        service.draft_agreement(number, parse_terms({"payments": [{"kind": "wages", "amount_yuan": "12600",
                                                                   "due_on": "2026-10-20"}]}),
                                by=as_staff("MD2"), engine=services_up)
        for mark in ("worker", "employer", "mediator", "seal"):
            service.sign_agreement(number, mark, on=TODAY, by=as_staff("MD2"), engine=services_up)
    state = deadlines(on=date(2026, 10, 21), return_state=True)
    assert state.result()["breached"] == 1  # payment 1 unpaid after its day
    with time_fixed_at(at(date(2026, 10, 22))):
        view = service.mediation_view(number, engine=services_up)
        assert [(p.overdue, p.payment_order) for p in view.payments] == [(True, True)]
        service.record_employer_payment(number, 1, amount_fen=1260000, paid_on=date(2026, 10, 22), by=as_staff("MD2"),
                                        engine=services_up)
    assert case_flow(number) == "closed"


def test_an_expired_case_gets_its_referral_notice(services_up, tmp_path):
    from docx import Document

    from casetypes.mediation.documents import make_document

    _, number = taken(services_up, dispute_type="overtime", knew_on="2026-09-01",
                      claims=[{"kind": "overtime_pay", "amount_yuan": "3000"}])
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=services_up)
    deadlines(on=date(2026, 10, 27))
    with time_fixed_at(at(date(2026, 10, 28))):
        make_document(number, "referral", tmp_path / "notice.docx", by=as_staff("MD2"), engine=services_up)
    text = "\n".join(p.text for p in Document(str(tmp_path / "notice.docx")).paragraphs)
    assert "十五日内未达成调解协议" in text and "您可以在 2027-10-26 前向劳动争议仲裁委员会申请仲裁" in text


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


def advance_for(engine, amount="5000", worker=None):
    """An accepted unpaid-wages case of member M0001 (or of ``worker``), and an advance requested for it."""
    from casetypes.mediation.advance import parse_advance
    from casetypes.mediation.advance_spec import advance_intake
    from models.enums import CaseType
    from services import ledger
    from tests.factories import resident_id

    ledger.add_programme("MD-ADVANCE", "Wage advances", CaseType("mediation_advance"), 2026, 2_000_000,
                         actor=as_staff("SU1"), engine=engine)
    _, number = taken(engine, worker=worker or {"name": "Member 1", "resident_id": resident_id(seq=1),
                                                "member_number": "M0001"})
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=engine)
        request = parse_advance({"caseworker": "CW1", "mediation_case": number, "amount_yuan": amount,
                                 "repay_by": "2026-12-31"})
        advance_number = advance_intake(*typed_in(request))
    return number, advance_number


def test_a_wage_advance_is_approved_paid_once_and_closed_when_the_employer_repays(services_up):
    from casetypes.mediation import advance
    from services import approvals
    from services.obligations import obligations_of

    _, number = advance_for(services_up)
    assert number.startswith("MA-2026-") and status_of(services_up, number) == CaseStatus.awaiting_approval
    with time_fixed_at(at(TODAY, 16)):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=500000, reason="三个月工资未发",
                               engine=services_up)
        assert case_flow(number) == "paid"
        assert case_flow(number) == "paid"  # run again: nothing is paid twice
        owed = [(o.direction.value, o.amount_fen, o.state.value) for o in obligations_of(number, engine=services_up)]
        assert owed == [("out", 500000, "settled"), ("in", 500000, "open")]
        assert advance.record_repayment(number, amount_fen=500000, reference="BANK-REPAY-1", received_on=TODAY,
                                        actor=as_staff("FI1"), engine=services_up) == 0
    assert status_of(services_up, number) == CaseStatus.closed


def test_a_worker_who_is_not_a_member_is_advanced_to_the_card_given_with_the_application(services_up):
    import httpx

    from casetypes.mediation.advance import parse_advance, request_advance
    from models.errors import InputError
    from services import approvals
    from services.settings import get_settings
    from tests.factories import bank_card

    card = bank_card(77)
    _, number = advance_for(services_up, worker={"name": "李四", "resident_id": WORKER_ID, "bank_card": card})
    with time_fixed_at(at(TODAY, 16)):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=500000, reason="欠薪", engine=services_up)
        assert case_flow(number) == "paid"
    [transfer] = httpx.get(f"{get_settings().payment_url}/sandbox/transfers").json()
    assert (transfer["amount_fen"], transfer["reference"]) == (500000, f"{number}-P1")
    assert card not in str(transfer) and card[-4:] in str(transfer)  # the sandbox keeps the masked card
    # a worker with neither a member's account nor a card is refused by field, and nothing is stored
    _, other = taken_again(worker={"name": "王五", "resident_id": resident_id(seq=77)},
                           employer={"name": "小微餐饮店", "uscc": LONE_EMPLOYER, "address": "示范区1号", "district": "110105"})
    with time_fixed_at(at(TODAY, 15)):
        service.accept_case(other, by=as_staff("MD1"), mediator="MD1", employer_consents=True, engine=services_up)
        with pytest.raises(InputError) as refused:
            request_advance(parse_advance({"caseworker": "CW1", "mediation_case": other, "amount_yuan": "100",
                                           "repay_by": "2026-12-31"}), as_staff("CW1"), engine=services_up)
    assert refused.value.field == "mediation_case" and "worker.bank_card" in str(refused.value)


def outstanding(engine):
    from services.reports import build_monthly_report

    rows = build_monthly_report("2026-10", engine=engine, today=TODAY).section("mediation").rows
    return {row[0]: row[-1] for row in rows}["G001"]


def test_an_advance_not_repaid_is_written_off_by_an_approver_with_a_reason(services_up):
    from casetypes.mediation import advance
    from models.cases import Programme
    from models.errors import RuleViolation
    from models.ledger import AccountKind
    from services import approvals, ledger

    _, number = advance_for(services_up, amount="3000")
    with time_fixed_at(at(TODAY, 16)):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=300000, reason="欠薪", engine=services_up)
        assert case_flow(number) == "paid"
        with pytest.raises(RuleViolation, match="needs the role approver"):
            advance.write_off(number, reason="企业已注销", by=as_staff("FI1"), engine=services_up)
        assert outstanding(services_up) == 300000  # the report: owed back on the G001 station's advance
        assert advance.write_off(number, reason="企业已注销，无法追偿", by=as_staff("AP1"), engine=services_up) == 300000
        assert outstanding(services_up) == 0
    assert status_of(services_up, number) == CaseStatus.closed
    with transaction(services_up) as s:
        assert verify_chain(s).intact
        programme = s.execute(select(Programme).where(Programme.code == "MD-ADVANCE")).scalar_one()
        accounts = ledger.accounts_for(programme)
        # raised and written off: nothing owed, no recovery expected; the 3,000 yuan stay paid
        assert (ledger.balance(s, accounts.of(AccountKind.receivable)), ledger.balance(s, accounts.of(AccountKind.recoveries)),
                ledger.balance(s, accounts.paid)) == (0, 0, 300000)


def test_the_acceptance_typed_into_the_run_form_goes_through_the_bodys_rules(services_up, tmp_path):
    """The run waits, suspended, for the body's decision; a mediator of another body is refused
    and the run waits again; the station's mediator accepts from the form."""
    from prefect.client.schemas.objects import StateType
    from prefect.deployments import run_deployment
    from prefect.flow_runs import resume_flow_run

    from tests.factories import enrol, fresh_code
    from tests.flows.test_hardship_approval_wait import _serve, _stop, _wait_for, _wait_for_form, _wait_for_refusal

    _, number = taken(services_up)
    enrol(services_up, "MD2", "MD9")
    runner = _serve(services_up, tmp_path, "runner")
    try:
        run = run_deployment("case/mediation", parameters={"case_number": number}, timeout=0)
        _wait_for_form(run.id)
        resume_flow_run(run.id, run_input={"decision": "accept", "staff": "MD9", "mediator": "MD9",
                                           "employer_consents": True, "one_time_code": fresh_code(services_up, "MD9")})
        [refused] = _wait_for_refusal(services_up, number)
        assert refused.actor == "MD9" and "not of it" in refused.reason
        _wait_for_form(run.id)
        resume_flow_run(run.id, run_input={"decision": "accept", "staff": "MD2", "mediator": "MD2",
                                           "employer_consents": True, "one_time_code": fresh_code(services_up, "MD2")})
        done = _wait_for(run.id, {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED})
    finally:
        _stop(runner)
    assert done.state.type == StateType.COMPLETED
    assert status_of(services_up, number) == CaseStatus.accepted
    assert service.mediation_view(number, engine=services_up).mediator == "MD2"
