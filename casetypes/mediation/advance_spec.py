"""The wage advance as a case type on the engine: its request form (the Prefect flow
``mediation-advance-intake``), its checks, its approval (the shared form, the mediation policy's
thresholds), its payment plan and the money steps. A paid advance rests until the employer's
repayment or a write-off closes it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from prefect import flow, task
from pydantic import Field

from casetypes.approval import ApprovalDecision, apply_decision
from casetypes.driver import take_in
from casetypes.mediation import advance
from casetypes.spec import CaseTypeSpec, IntakeFiles
from casetypes.steps import AwaitDecision, Check, pay_approved, settle_payout
from models.enums import CaseStatus
from models.errors import FieldProblem
from models.identity import CODE_PATTERN, StaffClaim
from models.money import format_fen
from models.obligations import Party
from models.transitions import SHARED
from services.case_queries import DecisionContext
from services.import_files import read_forms
from services.masking import install_masking
from services.payouts import register_payee
from tasks.retry import retry_on_transient

install_masking()
register_payee(Party.worker, advance.worker_payee)


@task(name="request-advance", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def request_task(request: advance.AdvanceRequest, submitted_by: StaffClaim) -> str:
    return advance.request_advance(request, submitted_by)


@task(name="check-advance", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def check_task(case_number: str) -> advance.AdvanceOutcome:
    return advance.verify_advance(case_number)


@task(name="decide-advance", retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def decide_task(case_number: str, decision: ApprovalDecision, version: int) -> None:
    apply_decision(case_number, decision, version)


def summary(case: DecisionContext) -> str:
    return (f"## {case.case_number}: union wage advance (工资垫付)\n\n- requested: **{format_fen(case.requested_fen)}**\n"
            f"- status: {case.status.value}; see the checks artifact of this case\n\n"
            "Approve with an amount at most the requested one, or reject; give a reason. Amounts above the "
            "mediation policy's grassroots limit need a district approver, large ones two different approvers.")


@flow(name="mediation-advance-intake", flow_run_name="mediation-advance-intake", log_prints=False)
def advance_intake(
    request: advance.AdvanceRequest,
    one_time_code: Annotated[str, Field(title="One-time code 动态码", pattern=CODE_PATTERN)],
) -> str:
    """Request a union wage advance for the worker of a mediation case, as the staff member named,
    who proves who they are with their one-time code."""
    return take_in(ADVANCE_SPEC, request_task, request, StaffClaim(request.caseworker.strip(), one_time_code))


def _from_csv_row(raw: dict[str, str], row: int) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip() != ""}


def read_requests(path: Path) -> tuple[list[tuple[int, advance.AdvanceRequest]], list[FieldProblem]]:
    return read_forms(path, _from_csv_row, advance.parse_advance)


check = Check(check_task, artifact="checks")

ADVANCE_SPEC = CaseTypeSpec(
    case_type=advance.ADVANCE,
    title="union wage advance 工资垫付",
    intake_flow=advance_intake,
    files=IntakeFiles(advance.advance_schema, read_requests, advance.request_advance),
    steps={
        CaseStatus.submitted: check,
        CaseStatus.verifying: check,
        CaseStatus.awaiting_approval: AwaitDecision(ApprovalDecision, summary, decide_task),
        CaseStatus.approved: pay_approved,
        CaseStatus.payout_pending: settle_payout,
    },
    moves=SHARED,
    thresholds=advance.thresholds,
    payment_plan=advance.payment_plan,
)
