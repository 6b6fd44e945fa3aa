"""Hardship aid end to end under Prefect, against the registry and payment sandboxes over HTTP."""

import pytest
from sqlalchemy import func, select

from casetypes.hardship import hardship_intake
from flows.case import case as case_flow
from models.audit import AuditEvent
from models.cases import Case
from models.enums import CaseStatus
from models.errors import FourEyesViolation, RuleViolation
from models.intake import parse_application
from services import approvals
from services.audit import verify_chain
from services.db import transaction
from services.intake import add_documents
from tests.factories import as_staff, resident_id, typed_in

DOCS = ["application_form", "resident_id", "membership_proof", "household_register", "income_proof"]


def form(**changes):
    data = {"caseworker": "CW2", "applicant_member_number": "M0001", "resident_id": resident_id(seq=1),
            "category": "living_relief", "tier_claimed": "deep",
            "household": [{"name": "A", "relation": "self", "monthly_income_yuan": "600"},
                          {"name": "B", "relation": "child", "monthly_income_yuan": "0"}],
            "requested_amount_yuan": "1500", "reason": "factory closed", "documents_provided": DOCS,
            "months_below_line": 8, "applied_on": "2026-03-02"}
    data.update(changes)
    return parse_application(data)


def status_of(engine, number):
    with transaction(engine) as s:
        return s.execute(select(Case.status).where(Case.case_number == number)).scalar_one()


def test_an_application_is_verified_approved_paid_and_closed(services_up):
    number = hardship_intake(*typed_in(form()))
    assert status_of(services_up, number) == CaseStatus.awaiting_approval
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=services_up)
    # Nothing was running while the decision was made (as after a restart): a fresh run carries on.
    assert case_flow(number) == "closed"
    with transaction(services_up) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        actions = [e.action for e in s.execute(select(AuditEvent).where(AuditEvent.case_number == number)
                                               .order_by(AuditEvent.seq)).scalars()]
        assert verify_chain(s).intact
    assert (case.paid_fen, case.status) == (150000, CaseStatus.closed)
    assert actions == ["submit", "start_verification", "verification_passed", "approve", "obligations_opened",
                       "release_payout",
                       "payout_submitted", "payout_succeeded", "payout_succeeded", "close"]


def test_a_rejected_case_stays_rejected_and_pays_nothing(services_up):
    number = hardship_intake(*typed_in(form()))
    approvals.reject_case(number, approver=as_staff("AP1"), reason="household owns a second flat", engine=services_up)
    assert case_flow(number) == "rejected"


def test_missing_documents_wait_for_information_then_the_case_continues(services_up):
    number = hardship_intake(*typed_in(form(documents_provided=DOCS[:2])))
    assert status_of(services_up, number) == CaseStatus.needs_information
    add_documents(number, DOCS, actor=as_staff("CW2"), engine=services_up)
    assert case_flow(number) == "awaiting_approval"


def test_the_submitter_cannot_approve_and_an_approver_over_their_limit_is_refused(services_up):
    number = hardship_intake(*typed_in(form()))
    with pytest.raises(FourEyesViolation):
        approvals.approve_case(number, approver=as_staff("CW2"), amount_fen=150000, reason="mine", engine=services_up)
    bigger = hardship_intake(*typed_in(form(caseworker="CW1", applicant_member_number="M0002", resident_id=resident_id(seq=2),
                                  category="medical_relief",
                                  documents_provided=DOCS + ["diagnosis", "medical_invoices"],
                                  requested_amount_yuan="4000")))
    with pytest.raises(RuleViolation, match="approval limit: CW2 may approve up to ¥3,000.00, not ¥4,000.00"):
        approvals.approve_case(bigger, approver=as_staff("CW2"), amount_fen=400000, reason="too much", engine=services_up)


def test_a_second_application_in_the_same_category_and_year_is_refused_naming_the_first(services_up):
    first = hardship_intake(*typed_in(form()))
    approvals.approve_case(first, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=services_up)
    assert case_flow(first) == "closed"
    state = hardship_intake(*typed_in(form(applied_on="2026-10-08")), return_state=True)
    assert state.is_failed()
    assert (f"applicant_member_number: has a living_relief application for 2026 already: {first} (closed)"
            in state.message)
    with transaction(services_up) as s:  # no second case; verification's no-double-aid rule is tested by household
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 1


def test_the_intake_run_keeps_no_resident_id_in_its_parameters(services_up):
    import asyncio

    from prefect import get_client

    state = hardship_intake(*typed_in(form()), return_state=True)
    number = state.result()

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)
    run = asyncio.run(read())
    assert run.parameters == {"application": {"stored_as": number}}
    assert resident_id(seq=1) not in str(run.parameters) and run.name == f"hardship-intake-{number}"
