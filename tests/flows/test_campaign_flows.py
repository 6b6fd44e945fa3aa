"""Campaign flows under Prefect, against the registry and payment sandboxes over HTTP: one flow
run carries a whole batch; re-running any run moves no money twice."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, TaskRunFilter, TaskRunFilterFlowRunId
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import func, select

from flows.campaigns import BatchApproval, approve_campaign, seasonal_relief, student_aid_campaign
from models.cases import Case
from models.enums import CaseStatus, CaseType
from models.errors import NotFound
from models.members import Household, HouseholdMember, Member
from services import approvals, campaigns, ledger, seasonal
from services.db import transaction
from services.settings import get_settings
from tests.factories import as_staff, fresh_code, resident_id

STUDENT_DOCS = ["application_form", "resident_id", "membership_proof", "income_proof", "admission_notice"]


def application(member: int) -> dict:
    return {"caseworker": "CW1", "applicant_member_number": f"M{member:04d}", "resident_id": resident_id(seq=member),
            "category": "student_aid", "tier_claimed": "deep", "student_level": "university",
            "household": [{"name": f"Parent {member}", "relation": "self", "monthly_income_yuan": "600"},
                          {"name": f"Student {member}", "relation": "child", "monthly_income_yuan": "0"}],
            "reason": "admitted to university", "documents_provided": STUDENT_DOCS,
            "months_below_line": 8, "applied_on": "2026-09-01"}


def transfers() -> int:
    return httpx.get(f"{get_settings().payment_url}/sandbox/transfers/count").json()["transfers"]


def artifacts(key: str) -> list:
    """The artifacts under ``key``, newest first."""

    async def read():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                              sort=ArtifactSort.CREATED_DESC)
    return asyncio.run(read())


def task_names(flow_run_id, expected: set[str], patience_seconds: float = 120.0) -> set[str]:
    """The names of the run's tasks once ``expected`` are among them (or the patience runs out):
    Prefect stores task runs from events, a moment after the flow run has finished."""
    async def read():
        async with get_client() as client:
            runs = await client.read_task_runs(task_run_filter=TaskRunFilter(
                flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id])), limit=200)
            return {run.name.rsplit("-", 1)[0] for run in runs}
    deadline = time.monotonic() + patience_seconds
    while not expected <= (names := asyncio.run(read())) and time.monotonic() < deadline:
        time.sleep(0.5)
    return names


def batch_approval(engine, approver: str, code: str = "student-aid-2026") -> dict:
    """The approver's campaign-approval run, with their staff number and a fresh one-time code."""
    return approve_campaign(BatchApproval(campaign_code=code, approver=approver, one_time_code=fresh_code(engine, approver)))


@pytest.fixture
def student_campaign(services_up, tmp_path):
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, actor=as_staff("FI1"),
                         engine=services_up)
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=services_up)
    path = tmp_path / "students.json"
    path.write_text(json.dumps([application(m) for m in (1, 2, 3)], ensure_ascii=False), encoding="utf-8")
    report = campaigns.attach_applications("student-aid-2026", path, submitted_by=as_staff("CW1"), engine=services_up)
    assert not report.problems
    return report.attached


def test_a_student_aid_campaign_is_carried_by_one_run_a_day_and_pays_each_student_once(services_up, student_campaign):
    first = student_campaign[0]
    state = student_aid_campaign("student-aid-2026", today=date(2026, 9, 21), return_state=True)
    outcome = state.result()
    assert (outcome["status"], outcome["verification"]) == ("notice", {"awaiting_approval": 3})
    expected = {"verify-chunk", "open-notice", "close-notice"}
    assert expected <= task_names(state.state_details.flow_run_id, expected)

    campaigns.record_objection("student-aid-2026", first, text="second home reported", recorded_by=as_staff("CW1"),
                               today=date(2026, 9, 25), engine=services_up)
    assert student_aid_campaign("student-aid-2026", today=date(2026, 9, 28))["status"] == "notice"  # last day
    assert transfers() == 0

    later = student_aid_campaign("student-aid-2026", today=date(2026, 9, 29))
    assert later["status"] == "approving" and transfers() == 0  # nobody approves in the name stored at creation
    assert later["approval"] == {"waiting for the batch approval": 2, "held: objection, a person decides": 1}
    decided = batch_approval(services_up, "AP1")
    assert decided["status"] == "paying"
    assert decided["approval"] == {"approved": 2, "held: objection, a person decides": 1}
    assert decided["payment"] == {"paid": 2}

    approvals.approve_case(first, approver=as_staff("AP1"), amount_fen=400000, reason="objection checked", engine=services_up)
    last = student_aid_campaign("student-aid-2026", today=date(2026, 9, 30))
    assert (last["status"], last["payment"]) == ("done", {"paid": 1})
    again = student_aid_campaign("student-aid-2026", today=date(2026, 10, 8))
    assert again["status"] == "done" and "payment" not in again
    assert transfers() == 3
    with transaction(services_up) as s:
        assert set(s.execute(select(Case.status)).scalars()) == {CaseStatus.closed}

    summary = artifacts("campaign-student-aid-2026")[0].data
    assert "status: **done**" in summary and "2026-09-21 to 2026-09-28" in summary
    assert resident_id(seq=1) not in summary and "Parent 1" not in summary
    progress = artifacts("campaign-student-aid-2026-progress")
    assert progress and progress[0].data == 100.0


def test_a_student_whose_documents_come_late_is_verified_noticed_approved_and_paid_by_later_runs(services_up,
                                                                                                   tmp_path):
    from services.intake import add_documents

    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, actor=as_staff("FI1"),
                         engine=services_up)
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=services_up)
    late_row = {**application(2), "documents_provided": STUDENT_DOCS[:3]}
    path = tmp_path / "students.json"
    path.write_text(json.dumps([application(1), late_row], ensure_ascii=False), encoding="utf-8")
    on_time, late = campaigns.attach_applications("student-aid-2026", path, submitted_by=as_staff("CW1"), engine=services_up).attached

    student_aid_campaign("student-aid-2026", today=date(2026, 9, 21))
    student_aid_campaign("student-aid-2026", today=date(2026, 9, 29))
    paid = batch_approval(services_up, "AP1")
    assert (paid["status"], paid["payment"]) == ("paying", {"paid": 1})  # the late case keeps it open

    add_documents(late, STUDENT_DOCS[3:], actor=as_staff("CW1"), engine=services_up)
    listed = student_aid_campaign("student-aid-2026", today=date(2026, 10, 12))
    assert listed["verification"] == {"awaiting_approval": 1}
    assert listed["supplementary notice"] == {"listed": 1}
    assert listed["approval"] == {"in its public notice": 1} and transfers() == 1

    ended = student_aid_campaign("student-aid-2026", today=date(2026, 10, 19))
    assert ended["supplementary notice"] == {"ended": 1}
    assert ended["approval"] == {"waiting for the batch approval": 1} and transfers() == 1
    done = batch_approval(services_up, "AP1")
    assert (done["approval"], done["payment"], done["status"]) == ({"approved": 1}, {"paid": 1}, "done")
    assert transfers() == 2


def test_a_campaign_run_is_named_after_the_campaign_and_keeps_no_personal_data_in_its_parameters(student_campaign):
    state = student_aid_campaign("student-aid-2026", today=date(2026, 9, 21), return_state=True)

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)
    run = asyncio.run(read())
    assert run.name == "campaign-student-aid-2026"
    assert run.parameters == {"campaign_code": "student-aid-2026", "today": "2026-09-21"}


def test_without_a_code_the_run_carries_this_years_campaign(student_campaign):
    # What a daily schedule with no parameters does: 'today' is in 2026, so student-aid-2026.
    assert student_aid_campaign(today=date(2026, 9, 21))["campaign"] == "student-aid-2026"
    # Outside the season there is no campaign of the year yet: the run ends quietly.
    assert student_aid_campaign(today=date(2025, 3, 2)) == {"campaign": "student-aid-2025", "status": "none"}
    with pytest.raises(NotFound):
        student_aid_campaign("student-aid-2025", today=date(2025, 3, 2))


def register_households(engine) -> None:
    """M0001-M0003 as the 'self' of households registered deep, relative and accident."""
    with transaction(engine) as s:
        for number, tier in (("M0001", "deep"), ("M0002", "relative"), ("M0003", "accident")):
            member = s.execute(select(Member).where(Member.member_number == number)).scalar_one()
            household = Household(household_number=f"H-{number}", unit_id=member.unit_id, hardship_tier=tier,
                                  registered_on=date(2026, 1, 5))
            s.add(household)
            s.flush()
            member.household_id = household.id
            s.add(member)
            s.add(HouseholdMember(household_id=household.id, member_id=member.id, name=member.name, relation="self"))


def test_winter_relief_pays_every_registered_household_in_one_run_and_a_rerun_pays_nothing(services_up):
    register_households(services_up)
    ledger.add_programme("HA-WINTER", "Winter warmth", CaseType.hardship, 2026, 1_000_000, actor=as_staff("FI1"),
                         engine=services_up)
    outcome = seasonal_relief("winter_relief", 2026, "CW1", fresh_code(services_up, "CW1"), "AP1",
                              today=date(2026, 12, 1))
    assert (outcome["status"], outcome["approval"]) == ("approving", {"waiting for the batch approval": 3})
    assert outcome["plan"]["needed_fen"] == 330000 and outcome["creation"] == {"created": 3}
    decided = batch_approval(services_up, "AP1", "winter-relief-2026")
    assert (decided["status"], decided["approval"], decided["payment"]) == ("done", {"approved": 3}, {"paid": 3})
    again = seasonal_relief("winter_relief", 2026, "CW1", fresh_code(services_up, "CW1"), "AP1", today=date(2026, 12, 2))
    assert again["status"] == "done" and transfers() == 3
    with transaction(services_up) as s:
        assert s.execute(select(func.sum(Case.paid_fen))).scalar_one() == 330000
    assert "winter-relief-2026 (winter_relief 2026)" in artifacts("campaign-winter-relief-2026")[0].data


def test_winter_relief_is_refused_whole_when_the_budget_is_short(services_up):
    register_households(services_up)
    ledger.add_programme("HA-WINTER", "Winter warmth", CaseType.hardship, 2026, 300000, actor=as_staff("FI1"),
                         engine=services_up)
    state = seasonal_relief("winter_relief", 2026, "CW1", fresh_code(services_up, "CW1"), "AP1", today=date(2026, 12, 1),
                            return_state=True)
    assert state.is_failed()
    with pytest.raises(seasonal.CampaignBudgetShort, match="¥3,300.00 needed for 3 household"):
        state.result()
    with transaction(services_up) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0
    assert "¥3,000.00 remaining" in artifacts("campaign-winter-relief-2026")[0].data


def test_the_batch_approval_run_keeps_no_code_and_a_wrong_code_approves_nothing(services_up, student_campaign):
    student_aid_campaign("student-aid-2026", today=date(2026, 9, 21))
    student_aid_campaign("student-aid-2026", today=date(2026, 9, 29))
    state = approve_campaign(BatchApproval(campaign_code="student-aid-2026", approver="AP1", one_time_code="000000"),
                             return_state=True)
    assert state.is_failed() and transfers() == 0

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(state.state_details.flow_run_id)
    run = asyncio.run(read())
    assert run.name == "campaign-approval-student-aid-2026"
    assert run.parameters == {"approval": {"campaign_code": "student-aid-2026", "approver": "AP1"}}
    with transaction(services_up) as s:
        assert set(s.execute(select(Case.status)).scalars()) == {CaseStatus.awaiting_approval}
