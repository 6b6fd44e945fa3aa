"""Mutual-insurance claims end to end under Prefect, paid through the payment sandbox over HTTP:
one approved automatically, one drawn for the sample and approved with an adjusted amount, one
rejected with its reason code, one waiting for documents then completed; a claims batch whose
chunk fails once, run again without a claim or a transfer twice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from prefect import get_client
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from casetypes.insurance import batch, enrolment, insurance_intake, service
from casetypes.insurance.batch_flow import artifact_key
from casetypes.insurance.form import parse_claim
from flows.case import case as case_flow
from models.insurance import InsuranceClaim
from models.payouts import Payout
from services import approvals
from services.audit import verify_chain
from services.db import transaction
from services.settings import get_settings
from tests.factories import as_staff, typed_in
from tests.flows.test_campaign_flows import artifacts
from tests.flows.test_hardship_flows import status_of
from tests.integration.test_insurance import enrolment_file, fund, products, stored  # noqa: F401  (fixture)
from tests.integration.test_insurance_batch import row, settlement_list

EVENT = date(2026, 11, 2)
DOCUMENTS = ["application_form", "membership_proof", "resident_id", "diagnosis", "discharge_summary",
             "medical_invoices"]


def claim(**changes):
    data = {"caseworker": "CW1", "member_number": "M0001", "product": "supplementary_medical",
            "event_date": EVENT.isoformat(), "notified_on": (EVENT + timedelta(days=3)).isoformat(),
            "received_on": (EVENT + timedelta(days=10)).isoformat(), "hospital_days": 12, "expenses_yuan": "2000",
            "claimed_yuan": "1500", "diagnosis": "急性阑尾炎", "invoices": "INV-0001 2000.00", "documents": DOCUMENTS}
    data.update(changes)
    return parse_claim(data)


def transfers() -> int:
    return httpx.get(f"{get_settings().payment_url}/sandbox/transfers/count").json()["transfers"]


@pytest.fixture
def insured(services_up, tmp_path, products):
    report = enrolment.import_enrolments(enrolment_file(
        tmp_path, "M0001,supplementary_medical,1,2026-01-01", "M0002,supplementary_medical,2,2026-01-01",
        "M0003,major_illness,1,2026-01-01"), actor=as_staff("CW1"), engine=services_up)
    assert not report.problems
    fund(services_up, "supplementary_medical", 5_000_000)
    return services_up


def test_a_claim_within_the_automatic_limit_is_approved_paid_and_closed_and_its_run_keeps_no_diagnosis(insured):
    state = insurance_intake(*typed_in(claim()), return_state=True)
    number = state.result()
    assert status_of(insured, number).value == "closed"
    _, stored_claim = stored(insured, number)
    assert stored_claim.review == "automatic" and stored_claim.calculated_fen == 106_200  # 312.00 + 750.00
    assert transfers() == 1

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)
    run = asyncio.run(read())
    assert "急性阑尾炎" not in str(run.parameters) and "INV-0001" not in str(run.parameters)


def test_a_claim_drawn_for_the_sample_is_approved_by_a_reviewer_with_an_adjusted_amount(insured, products):
    products(sample_percent=100)
    number = insurance_intake(*typed_in(claim()))
    assert status_of(insured, number).value == "awaiting_approval"
    _, waiting = stored(insured, number)
    assert waiting.review == "sampled"
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=100_000,
                           reason="一张发票重复，核减 62 元 one invoice counted twice", engine=insured)
    assert case_flow(number) == "closed"
    case, _ = stored(insured, number)
    assert case.approved_fen == 100_000 and transfers() == 1


def test_a_claim_in_the_waiting_period_is_rejected_with_its_code_and_pays_nothing(insured, tmp_path):
    report = enrolment.import_enrolments(enrolment_file(tmp_path, "M0003,supplementary_medical,1,2026-10-20",
                                                        name="late.csv"), actor=as_staff("CW1"), engine=insured)
    assert not report.problems
    number = insurance_intake(*typed_in(claim(member_number="M0003")))
    assert case_flow(number) == "rejected"
    _, rejected = stored(insured, number)
    assert rejected.rejection_code == "waiting_period" and transfers() == 0


def test_a_claim_missing_documents_waits_then_is_paid_when_they_arrive(insured):
    number = insurance_intake(*typed_in(claim(documents=DOCUMENTS[:4])))
    assert status_of(insured, number).value == "needs_information"
    service.add_documents(number, ["discharge_summary", "medical_invoices"], actor=as_staff("CW1"), engine=insured)
    assert case_flow(number) == "closed"
    assert transfers() == 1


def test_a_batch_whose_chunk_fails_once_takes_every_row_once_and_a_second_run_changes_nothing(insured, tmp_path,
                                                                                             monkeypatch):
    rows = [row("M0001" if i % 2 else "M0002", date(2026, 3, 2) + timedelta(days=9 * i)) for i in range(7)]
    info = batch.register_batch(settlement_list(tmp_path, rows), as_staff("CW1"), engine=insured)
    monkeypatch.setattr(batch, "CHUNK_ROWS", 3)
    real, calls = service.intake_claim, []

    def flaky(*args, **kwargs):  # the database drops the connection once, mid-chunk
        calls.append(1)
        if len(calls) == 5:
            raise OperationalError("INSERT", {}, Exception("connection lost"))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "intake_claim", flaky)
    from casetypes.insurance.batch_flow import insurance_batch

    outcome = insurance_batch(info.reference)
    assert outcome["claims"] == 7 and outcome["by_status"] == {"closed": 7} and outcome["failed_chunks"] == 0
    assert len(calls) == 8  # seven rows, one of them twice: the retry took only what the failure left
    assert transfers() == 7
    again = insurance_batch(info.reference)
    assert again == outcome and transfers() == 7
    with transaction(insured) as s:
        assert s.execute(select(func.count()).select_from(InsuranceClaim)).scalar_one() == 7
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 7
        verify_chain(s)
    summary = artifacts(artifact_key(info.reference))
    assert summary and "| closed | 7 |" in summary[0].data and "肺炎" not in summary[0].data
    progress = artifacts(f"{artifact_key(info.reference)}-progress")
    assert progress and progress[0].data == 100.0
