"""The reviewer's decision on a claim (openIMIS-style manual review): approve the calculated
benefit, or an adjusted amount with the reason for it, or reject with a reason code and words.
Applied through the approval service (limits, four-eyes, the product file's thresholds)."""

from __future__ import annotations

from typing import Annotated, Literal

from prefect import get_run_logger, task
from pydantic import ConfigDict, Field

from casetypes.approval import ApprovalDecision, apply_decision
from casetypes.insurance import service
from models.errors import StaleCase, UnionaidError
from models.intake import PlainText
from models.money import format_fen
from services import approvals
from services.case_queries import DecisionContext
from tasks.retry import retry_on_transient


class ReviewDecision(ApprovalDecision):
    """审核 Review of a mutual-insurance claim."""

    model_config = ConfigDict(hide_input_in_errors=True)

    decision: Literal["approve", "reject"] = Field(title="Decision 审核意见")
    rejection_code: Annotated[str | None, PlainText] = Field("", title="Rejection code 拒付代码", max_length=40,
                                                             description="required to reject: a code of the "
                                                                         "product file's rejections")


@task(name="claim-summary", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def summary_task(case_number: str) -> str:
    return service.review_summary(case_number)


def summary(case: DecisionContext) -> str:
    return summary_task(case.case_number) + (
        f"\n\nApprove with an amount at most the calculated **{format_fen(case.requested_fen)}** (an adjusted "
        "amount says why in the reason), or reject with a rejection code and the reason the member gets.")


@task(name="review-claim", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def decide_task(case_number: str, decision: ReviewDecision, version: int) -> None:
    if decision.decision == "approve":
        apply_decision(case_number, decision, version)
        return
    try:
        service.reject_claim(case_number, code=(decision.rejection_code or "").strip(), reason=decision.reason,
                             approver=decision, expected_version=version)
    except StaleCase:
        get_run_logger().info("claim %s moved on while its review was applied; carrying on from there", case_number)
    except UnionaidError as exc:
        get_run_logger().warning("review of %s refused: %s", case_number, exc)
        approvals.record_refused_decision(case_number, approver=decision.approver, refusal=str(exc))
