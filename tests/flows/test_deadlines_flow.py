"""The deadlines run under Prefect: on the day after a clock's last day it breaches it, and its
artifact lists the case by number only; run again the same day it changes nothing."""

import asyncio
from datetime import date

from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.deadlines import deadlines
from models.enums import CaseStatus
from services.case_queries import case_detail
from tests.integration.test_deadlines import move, received
from tests.mediation import mediation_org


def artifact_of(flow_run_id) -> str:
    async def read():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    [artifact] = asyncio.run(read())
    assert artifact.key == "deadlines"
    return str(artifact.data)


def test_the_deadlines_run_refers_a_case_whose_fifteen_days_ran_out_and_lists_it_by_number(services_up):
    mediation_org(services_up)
    number = received(services_up, date(2026, 9, 30))
    move(services_up, number, CaseStatus.awaiting_approval, date(2026, 10, 8))
    move(services_up, number, CaseStatus.accepted, date(2026, 10, 8))
    applicant = case_detail(number, engine=services_up).applicant_name

    state = deadlines(on=date(2026, 10, 16), return_state=True)
    assert state.result() == {"breached": 1, "due": 0, "receivables_overdue": 0}
    assert case_detail(number, engine=services_up).case.status == CaseStatus.referred_to_arbitration
    markdown = artifact_of(state.state_details.flow_run_id)
    assert "# Deadlines on 2026-10-16" in markdown
    assert f"| G001 | {number} | reach an agreement | 2026-10-15 | accepted | referred_to_arbitration |" in markdown
    assert applicant not in markdown

    again = deadlines(on=date(2026, 10, 16), return_state=True)
    assert again.result() == {"breached": 0, "due": 0, "receivables_overdue": 0}


def test_the_deadlines_run_breaches_three_working_days_over_national_day_on_the_day_after_the_last(services_up):
    mediation_org(services_up)
    number = received(services_up, date(2026, 9, 30))  # last day: Saturday 10 October, a make-up working day

    on_the_last_day = deadlines(on=date(2026, 10, 10), return_state=True)
    assert on_the_last_day.result() == {"breached": 0, "due": 1, "receivables_overdue": 0}
    assert f"| G001 | {number} | accept or refuse the application | 2026-10-10 | 0 | submitted |" in artifact_of(
        on_the_last_day.state_details.flow_run_id)

    the_day_after = deadlines(on=date(2026, 10, 11), return_state=True)
    assert the_day_after.result() == {"breached": 1, "due": 0, "receivables_overdue": 0}
    assert f"| G001 | {number} | accept or refuse the application | 2026-10-10 | submitted | — |" in artifact_of(
        the_day_after.state_details.flow_run_id)
    assert case_detail(number, engine=services_up).case.status == CaseStatus.submitted
