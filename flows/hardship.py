"""Hardship aid end to end: intake → verification → human approval → payout → closed.

``hardship-intake`` stores the application and hands over to ``hardship-case``, which always
starts from the case's stored status, so any run of it (a resumed one, a fresh one after a
restart) carries the case on from where it is. While a decision is awaited the run is
suspended (its process freed); the decision comes as typed input in the Prefect UI or from
``unionaid approve|reject``, and in both cases goes through the same approval service.
"""

from __future__ import annotations

from typing import Literal

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field
from sqlalchemy import func, select
from sqlmodel import col

from flows.labels import case_run_name, tag_current_run
from models.cases import Approval, Case
from models.enums import CaseStatus
from models.errors import InputError, UnionaidError
from models.intake import HardshipApplication, Yuan
from models.money import format_fen, parse_yuan
from services import approvals
from services.campaigns import campaign_of
from services.cases import load_case, transition_case
from services.db import transaction
from services.masking import install_masking
from tasks.cases import load_case_label
from tasks.hardship import intake_task, verify_task
from tasks.payouts import pay_case_task, resolve_payout_task

install_masking()

APPROVAL_WAIT_SECONDS = 30 * 24 * 3600  # a month; after that the run ends and the CLI starts a fresh one


class ApprovalDecision(RunInput):
    """审批 Approval decision for one hardship case."""

    decision: Literal["approve", "reject"] = Field(title="Decision 审批意见")
    approver: str = Field(title="Approver staff number 审批人工号", min_length=1, max_length=32)
    approved_amount_yuan: Yuan | None = Field(None, title="Approved amount (yuan) 核准金额(元)",
                                              description="required to approve; at most the requested amount")
    reason: str = Field(title="Reason 理由", min_length=2, max_length=2000)


@flow(name="hardship-intake", flow_run_name="hardship-intake", log_prints=False)
def hardship_intake(application: HardshipApplication) -> str:
    """Take one hardship application; the rest of the work runs under the case number."""
    case_number = intake_task(application)
    _redact_parameters(case_number)
    context = FlowRunContext.get()
    if context and context.flow_run and context.flow_run.deployment_id:
        from services.runs import start_case_run

        get_run_logger().info("case %s stored; %s", case_number, start_case_run(case_number))
    else:
        process_hardship_case(case_number)
    return case_number


def _redact_parameters(case_number: str) -> None:
    """The form held a resident ID: once stored, the run keeps only the case number."""
    context = FlowRunContext.get()
    if not (context and context.flow_run):
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(context.flow_run.id, name=f"hardship-intake-{case_number}",
                               parameters={"application": {"stored_as": case_number}})


@flow(name="hardship-case", flow_run_name=case_run_name, log_prints=False)
def process_hardship_case(case_number: str) -> str:
    """Carry one case on from its stored status until it is finished or waits for a person."""
    logger = get_run_logger()
    label = load_case_label(case_number.upper())
    tag_current_run(label.case_type, label.unit)
    case_number, status = label.case_number, CaseStatus(label.status)
    for _ in range(12):  # each pass moves the case at least one step, or returns
        if status in (CaseStatus.submitted, CaseStatus.verifying):
            outcome = verify_task(case_number)
            create_markdown_artifact(key=f"verification-{case_number.lower()}", markdown=outcome.markdown,
                                     description=f"verification report of {case_number}")
            status = outcome.status
        elif status == CaseStatus.awaiting_approval:
            if not _await_decision(case_number):
                return status.value
            status = _status(case_number)
        elif status == CaseStatus.approved:
            view = pay_case_task(case_number)
            status = _status(case_number)
            if status == CaseStatus.approved:  # a definite failure: a person must look (bank account?)
                logger.warning("payout %s of %s failed; the case is back to approved", view.reference, case_number)
                return status.value
        elif status == CaseStatus.payout_pending:
            resolve_pending(case_number)
            status = _status(case_number)
            if status == CaseStatus.payout_pending:
                return status.value  # outcome still unknown: the resolver deployment finishes it
        elif status == CaseStatus.paid:
            transition_case(case_number, CaseStatus.closed, actor="system", reason="paid in full")
            status = CaseStatus.closed
        else:
            break
    logger.info("case %s is %s", case_number, status.value)
    return status.value


def _status(case_number: str) -> CaseStatus:
    with transaction() as session:
        return load_case(session, case_number).status


def resolve_pending(case_number: str) -> None:
    from models.payouts import Payout

    with transaction() as session:
        case = load_case(session, case_number)
        live = session.execute(
            select(col(Payout.id)).where(col(Payout.live_case_id) == case.id)
        ).scalar_one_or_none()
    if live is not None:
        resolve_payout_task(live)


def _await_decision(case_number: str) -> bool:
    """Suspend until a decision arrives; apply it. False when this run cannot wait here."""
    context = FlowRunContext.get()
    if not (context and context.flow_run and context.flow_run.deployment_id):
        return False  # not a deployment run: it cannot be suspended; the CLI wakes a fresh one
    with transaction() as session:
        case = load_case(session, case_number)
        campaign = campaign_of(session, case)
        if campaign is not None:
            # Its campaign's daily run lists it in a notice, then approves and pays it; a person
            # may still decide it with `unionaid approve|reject`, which starts a fresh run.
            get_run_logger().info("case %s belongs to campaign %s, whose runs carry it on", case_number, campaign)
            return False
        approvals_so_far = session.execute(select(func.count()).select_from(Approval)
                                           .where(col(Approval.case_id) == case.id)).scalar_one()
        refusals = approvals.count_refused_decisions(session, case)
        summary = _summary(case)
        key = f"approval-v{case.version}-a{approvals_so_far}-r{refusals}"
    decision = suspend_flow_run(wait_for_input=ApprovalDecision.with_initial_data(description=summary),
                                timeout=APPROVAL_WAIT_SECONDS, key=key)
    if _status(case_number) != CaseStatus.awaiting_approval:
        return True  # decided elsewhere (the CLI) while we waited: carry on from the database
    try:
        if decision.decision == "approve":
            if decision.approved_amount_yuan is None:
                raise InputError("approved_amount_yuan", "is required to approve")
            approvals.approve_case(case_number, approver=decision.approver, reason=decision.reason,
                                   amount_fen=parse_yuan(decision.approved_amount_yuan, "approved_amount_yuan"))
        else:
            approvals.reject_case(case_number, approver=decision.approver, reason=decision.reason)
    except UnionaidError as exc:
        get_run_logger().warning("decision on %s refused: %s", case_number, exc)
        approvals.record_refused_decision(case_number, approver=decision.approver, refusal=str(exc))
    return True


def _summary(case: Case) -> str:
    return (f"## {case.case_number}: {case.category}\n\n"
            f"- requested: **{format_fen(case.requested_fen)}**\n"
            f"- status: {case.status.value}; see the verification artifact of this case\n\n"
            "Approve with an amount at most the requested one, or reject; give a reason. "
            "The submitter may not decide; amounts above the grassroots limit need a district approver, "
            "large ones two different approvers.")
