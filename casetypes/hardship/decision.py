"""The hardship approval decision: the shared typed form (``casetypes.approval``), what it shows
for a hardship case, and the task that applies it."""

from __future__ import annotations

from prefect import task

from casetypes.approval import ApprovalDecision, apply_decision, claim_of
from models.money import format_fen
from services.case_queries import DecisionContext
from tasks.retry import retry_on_transient


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
    """Apply the decision through the approval service (``casetypes.approval.apply_decision``)."""
    apply_decision(case_number, decision, version)


__all__ = ["ApprovalDecision", "claim_of", "decide_task", "summary"]
