"""The hardship approval decision: the typed form a person fills in, what it shows, how it is applied."""

from __future__ import annotations

from typing import Annotated, Literal

from prefect import get_run_logger, task
from prefect.input import RunInput
from pydantic import ConfigDict, Field

from models.errors import InputError, StaleCase, UnionaidError
from models.identity import CODE_PATTERN, StaffClaim
from models.intake import Sensitive, Yuan
from models.money import format_fen, parse_yuan
from services import approvals
from services.case_queries import DecisionContext
from tasks.retry import retry_on_transient


class ApprovalDecision(RunInput):
    """审批 Approval decision for one hardship case."""

    model_config = ConfigDict(hide_input_in_errors=True)

    decision: Literal["approve", "reject"] = Field(title="Decision 审批意见")
    approver: str = Field(title="Approver staff number 审批人工号", min_length=1, max_length=32)
    one_time_code: str = Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                               description="the approver's code from their authenticator app")
    approved_amount_yuan: Yuan | None = Field(None, title="Approved amount (yuan) 核准金额(元)",
                                              description="required to approve; at most the requested amount")
    reason: Annotated[str, Sensitive] = Field(title="Reason 理由", min_length=2, max_length=2000)


def claim_of(decision: ApprovalDecision) -> StaffClaim:
    return StaffClaim(decision.approver.strip(), decision.one_time_code.strip())


def summary(case: DecisionContext) -> str:
    notice = ""
    if case.notice_until is not None:
        notice = (f"- public notice 公示: until {case.notice_until.isoformat()} (approval is refused until it has "
                  f"ended); {case.objections} objection(s) recorded"
                  + (", read them with `unionaid cases text`" if case.objections else "") + "\n")
    return (f"## {case.case_number}: {case.category}\n\n"
            f"- requested: **{format_fen(case.requested_fen)}**\n"
            f"- status: {case.status.value}; see the verification artifact of this case\n{notice}\n"
            "Approve with an amount at most the requested one, or reject; give a reason. "
            "The submitter may not decide; amounts above the grassroots limit need a district approver, "
            "large ones two different approvers.")


@task(name="decide-hardship", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def decide_task(case_number: str, decision: ApprovalDecision, version: int) -> None:
    """Apply the decision through the approval service, against the version the run read: a retry
    after a commit we did not hear about is stale and does nothing. A decision the rules refuse
    (four-eyes, a limit, an unknown approver, a wrong one-time code) is audited, and the case
    waits again."""
    try:
        if decision.decision == "approve":
            if decision.approved_amount_yuan is None:
                raise InputError("approved_amount_yuan", "is required to approve")
            approvals.approve_case(case_number, approver=claim_of(decision), reason=decision.reason,
                                   amount_fen=parse_yuan(decision.approved_amount_yuan, "approved_amount_yuan"),
                                   expected_version=version)
        else:
            approvals.reject_case(case_number, approver=claim_of(decision), reason=decision.reason,
                                  expected_version=version)
    except StaleCase:
        get_run_logger().info("case %s moved on while its decision was applied; carrying on from there", case_number)
    except UnionaidError as exc:
        get_run_logger().warning("decision on %s refused: %s", case_number, exc)
        approvals.record_refused_decision(case_number, approver=decision.approver, refusal=str(exc))
