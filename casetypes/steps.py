"""The steps the engine offers every case type. A spec maps stored statuses to these (or to
steps of its own with the same shape: case number and status in, ``Progress`` out).

- ``Check``: the type's checks (verification), with the report published as the case's artifact;
- ``AwaitDecision``: suspend the run with the type's typed decision form until a person decides,
  then apply the decision with the type's task;
- ``pay_approved``, ``settle_payout``, ``close_paid``: the money path, exactly once (see
  ``services.payouts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput

from casetypes.spec import Progress
from models.enums import CaseStatus
from models.payouts import PayoutStatus
from services.case_queries import DecisionContext
from tasks.cases import (
    decision_context_task,
    forget_decision_input,
    load_case_label,
    move_case_task,
    note_waiting_run_task,
)
from tasks.payouts import open_payouts_task, pay_case_task, resolve_payout_task

DECISION_WAIT_SECONDS = 30 * 24 * 3600  # a month; after that the run ends and the CLI starts a fresh one


def status_of(case_number: str) -> CaseStatus:
    return CaseStatus(load_case_label(case_number).status)


@dataclass(frozen=True)
class Check:
    """Run the type's checks; the task answers with the new status and a report in Markdown."""

    task: Any
    artifact: str = "verification"

    def __call__(self, case_number: str, status: CaseStatus) -> Progress:
        outcome = self.task(case_number)
        create_markdown_artifact(key=f"{self.artifact}-{case_number.lower()}", markdown=outcome.markdown,
                                 description=f"{self.artifact} report of {case_number}")
        return Progress(CaseStatus(outcome.status))


@dataclass(frozen=True)
class AwaitDecision:
    """Wait, suspended (the process freed), for a person's decision in the type's form.

    The decision comes as typed input in the Prefect UI or from the CLI (which resumes this run
    or starts a fresh one); ``decide`` is the type's task that applies it through its approval
    service. A run that is not a deployment run cannot be suspended: it ends, and the case waits.
    """

    form: type[RunInput]
    summary: Callable[[DecisionContext], str]
    decide: Any
    wait_seconds: int = DECISION_WAIT_SECONDS

    def __call__(self, case_number: str, status: CaseStatus) -> Progress:
        context = FlowRunContext.get()
        if not (context and context.flow_run and context.flow_run.deployment_id):
            return Progress(status, waits=True)
        waiting = decision_context_task(case_number)
        if waiting.carried_by is not None:
            get_run_logger().info("case %s is carried on by %s", case_number, waiting.carried_by)
            return Progress(status, waits=True)
        note_waiting_run_task(case_number, context.flow_run.id)
        decision = suspend_flow_run(wait_for_input=self.form.with_initial_data(description=self.summary(waiting)),
                                    timeout=self.wait_seconds, key=waiting.key)
        try:
            label = load_case_label(case_number)
            if CaseStatus(label.status) == status:  # not decided elsewhere (the CLI) while we waited
                self.decide(case_number, decision, label.version)
        finally:
            # The form's one-time code and reason stay in our database only: Prefect forgets them.
            forget_decision_input(context.flow_run.id, waiting.key)
        return Progress(status_of(case_number))


def pay_approved(case_number: str, status: CaseStatus) -> Progress:
    """Prepare the payout of each payment the case owes and send it; a definite failure leaves
    the case approved for a person."""
    views = pay_case_task(case_number)
    now = status_of(case_number)
    if now == CaseStatus.approved:  # a definite failure: a person must look (bank account?)
        refused = ", ".join(v.reference for v in views if v.status == PayoutStatus.failed)
        get_run_logger().warning("payout %s of %s failed; the case is back to approved", refused, case_number)
        return Progress(now, waits=True)
    return Progress(now)


def settle_payout(case_number: str, status: CaseStatus) -> Progress:
    """Ask the provider about the payouts on their way; while an outcome is unknown the resolver finishes it."""
    for payout_id in open_payouts_task(case_number):
        resolve_payout_task(payout_id)
    now = status_of(case_number)
    return Progress(now, waits=now == CaseStatus.payout_pending)


def close_paid(case_number: str, status: CaseStatus) -> Progress:
    label = load_case_label(case_number)
    return Progress(CaseStatus(move_case_task(case_number, CaseStatus.closed, "system", "paid in full", label.version)))
