"""The approval decision every type with an approved amount shares: the typed form a person fills
in (approve with an amount, or reject, with a reason and their one-time code) and how it is
applied through the approval service (``services.approvals``: limits, four-eyes, the type's
thresholds). A type's package names its own task around ``apply_decision`` and its own summary."""

from __future__ import annotations

from typing import Annotated, Literal

from prefect import get_run_logger
from prefect.input import RunInput
from pydantic import ConfigDict, Field

from models.errors import InputError, StaleCase, UnionaidError
from models.identity import CODE_PATTERN, StaffClaim
from models.intake import Sensitive, Yuan
from models.money import parse_yuan
from services import approvals


class ApprovalDecision(RunInput):
    """审批 Approval decision for one case."""

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


def apply_decision(case_number: str, decision: ApprovalDecision, version: int) -> None:
    """Apply the decision against the version the run read: a retry after a commit we did not hear
    about is stale and does nothing. A decision the rules refuse (four-eyes, a limit, an unknown
    approver, a wrong one-time code) is audited, and the case waits again."""
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
