"""The acceptance decision (受理): the typed form a mediator or approver of the body fills in,
what it shows, and how it is applied."""

from __future__ import annotations

from typing import Annotated, Literal

from prefect import get_run_logger, task
from prefect.input import RunInput
from pydantic import ConfigDict, Field

from casetypes.mediation import service
from models.errors import InputError, StaleCase, UnionaidError
from models.identity import CODE_PATTERN, StaffClaim
from models.intake import PlainText, Sensitive
from services import approvals
from services.case_queries import DecisionContext
from tasks.retry import retry_on_transient


class AcceptanceDecision(RunInput):
    """受理决定 Accept the mediation application, or decline it in writing."""

    model_config = ConfigDict(hide_input_in_errors=True)

    decision: Literal["accept", "decline"] = Field(title="Decision 受理意见", description="accept 受理, decline 不予受理")
    staff: str = Field(title="Your staff number 工号", min_length=1, max_length=32,
                       description="a mediator or approver of the body the case is with")
    one_time_code: str = Field(title="One-time code 动态码", pattern=CODE_PATTERN)
    mediator: Annotated[str | None, PlainText] = Field("", title="Mediator assigned (staff number) 指定调解员", max_length=32,
                                 description="required to accept")
    employer_consents: bool = Field(False, title="The employer consents to mediation 用人单位同意调解",
                                    description="required to accept")
    reason: Annotated[str, Sensitive] = Field("", title="Reason 理由", max_length=2000,
                                              description="required to decline: the written reason the worker gets")


def summary(case: DecisionContext) -> str:
    return (f"## {case.case_number}: mediation, {case.category}\n\n"
            f"- status: {case.status.value}; see the checks artifact of this case\n\n"
            "Accept within 3 working days of receipt and assign a mediator of the body (the employer must "
            "consent), or decline in writing with the reason the worker is given. A case whose checks failed "
            "can only be declined.")


@task(name="decide-acceptance", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def decide_task(case_number: str, decision: AcceptanceDecision, version: int) -> None:
    """Apply the decision against the version the run read; a refused one is audited and the case
    waits again."""
    claim = StaffClaim(decision.staff.strip(), decision.one_time_code.strip())
    try:
        if decision.decision == "accept":
            if not decision.mediator:
                raise InputError("mediator", "is required to accept: the mediator of the case")
            service.accept_case(case_number, by=claim, mediator=decision.mediator,
                                employer_consents=decision.employer_consents, expected_version=version)
        else:
            service.decline_case(case_number, by=claim, reason=decision.reason, expected_version=version)
    except StaleCase:
        get_run_logger().info("case %s moved on while its decision was applied; carrying on from there", case_number)
    except UnionaidError as exc:
        get_run_logger().warning("decision on %s refused: %s", case_number, exc)
        approvals.record_refused_decision(case_number, approver=decision.staff, refusal=str(exc))
