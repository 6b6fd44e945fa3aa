"""Tasks over cases: thin calls into services, passing case numbers, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from prefect import task

from models.enums import CaseStatus
from models.identity import Actor
from services import runs, sweep
from services.case_queries import DecisionContext, decision_context
from services.cases import load_case, transition_case, unit_code
from services.db import transaction
from services.runs import note_waiting_run
from tasks.retry import retry_on_transient


@dataclass(frozen=True)
class CaseLabel:
    """What a run may show about a case: no names, no identifiers beyond the case number."""

    case_number: str
    case_type: str
    unit: str
    status: str
    version: int


@task(name="load-case", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def load_case_label(case_number: str) -> CaseLabel:
    with transaction() as session:
        case = load_case(session, case_number)
        return CaseLabel(case.case_number, case.case_type.value, unit_code(session, case.unit_id),
                         case.status.value, case.version)


@task(name="move-case", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def move_case_task(case_number: str, to_status: CaseStatus, actor: Actor, reason: str, expected_version: int) -> str:
    """Guarded by the version the flow read: a retry after a commit we did not hear about is
    refused as stale instead of moving the case twice."""
    case = transition_case(case_number, to_status, actor=actor, reason=reason, expected_version=expected_version)
    return case.status.value


@task(name="decision-context", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def decision_context_task(case_number: str) -> DecisionContext:
    return decision_context(case_number)


@task(name="note-waiting-run", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def note_waiting_run_task(case_number: str, flow_run_id: UUID) -> None:
    note_waiting_run(case_number, flow_run_id)


@task(name="forget-decision-input", retries=3, retry_delay_seconds=2)
def forget_decision_input(flow_run_id: UUID, pause_key: str) -> None:
    """Delete what a person typed into a decision form from Prefect (it is in our database)."""
    runs.forget_decision_input(flow_run_id, pause_key)


@task(name="stalled-cases", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def stalled_cases_task(quiet_minutes: int) -> list[str]:
    return sweep.stalled_cases(quiet_for=timedelta(minutes=quiet_minutes))


@task(name="carry-on-case", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def carry_on_case_task(case_number: str) -> str:
    return runs.carry_on(case_number)
