"""Every deployment unionaid serves, in one list: a new flow is one more line here.

``make up`` serves them all from one process (``python -m deployments``); production serves
the same list from workers on several machines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect.schedules import Cron

from casetypes import REGISTRY
from flows.audit_verify import verify_audit_trail
from flows.campaigns import approve_campaign, seasonal_relief, student_aid_campaign
from flows.case import case
from flows.case_transition import move_case
from flows.deadlines import deadlines
from flows.payout import pay_approved_cases, pay_case_flow, resolve_open_payouts
from flows.reconciliation import reconcile_flow
from flows.sweep import sweep_stalled_cases
from services.runs import case_deployment

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DeploymentSpec:
    flow: Any
    name: str
    description: str
    tags: tuple[str, ...] = ()
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def _case_type_deployments() -> tuple[DeploymentSpec, ...]:
    """Per registered case type: its intake form and its deployment of the one ``case`` flow."""
    specs: list[DeploymentSpec] = []
    for case_type, spec in REGISTRY.items():
        specs.append(DeploymentSpec(spec.intake_flow, "intake", f"Take one application for {spec.title}. The form's "
                                    "personal data is stored in our database and removed from the run.",
                                    (case_type.value, "intake")))
        specs.append(DeploymentSpec(case, case_deployment(case_type).split("/", 1)[1],
                                    f"Carry one {spec.title} case on from its stored status, step by step "
                                    "(verification, waiting for a decision, payout, closing).", (case_type.value,)))
        specs += [DeploymentSpec(more.flow, more.name, more.description, (case_type.value,)) for more in spec.deployments]
    return tuple(specs)


DEPLOYMENTS: tuple[DeploymentSpec, ...] = _case_type_deployments() + (
    DeploymentSpec(move_case, "by-hand", "Move one case to another status as a named staff member "
                   "(withdraw, close, request information). Refused moves say why.", ("casework",)),
    DeploymentSpec(student_aid_campaign, "daily", "Carry this year's autumn student-aid campaign (金秋助学) on: "
                   "verification, public notice, then payment once the batch is approved (campaign-approval). Safe to run again.",
                   ("campaign", "hardship"), cron="0 9 * * *"),
    DeploymentSpec(seasonal_relief, "seasonal", "冬送温暖 / 夏送清凉: a case for every registered hardship household at its "
                   "tier's fixed amount, submitted by the caseworker who starts it (with their one-time code); "
                   "refused whole when the budget is short. The batch then waits for campaign-approval.",
                   ("campaign", "hardship")),
    DeploymentSpec(approve_campaign, "batch-approval", "批量审批: approve, as you (staff number and one-time code), "
                   "every case of a campaign waiting for the batch approval, then pay them.", ("campaign", "hardship")),
    DeploymentSpec(pay_case_flow, "one-case", "Pay one approved case through the payment provider. Safe to run "
                   "again: the same case is never paid twice.", ("payout",)),
    DeploymentSpec(pay_approved_cases, "batch", "Pay every approved case (optionally one programme) in one run.",
                   ("payout",)),
    DeploymentSpec(resolve_open_payouts, "every-5-minutes", "Ask the provider about payouts whose outcome is not "
                   "known yet and finish them.", ("payout",), cron="*/5 * * * *"),
    DeploymentSpec(sweep_stalled_cases, "every-10-minutes", "Carry on every case waiting on the system that no "
                   "run carries on (approved and unpaid, paid and not closed): the stack was down at the decision, "
                   "or a process was killed. Safe at any time.", ("casework",), cron="*/10 * * * *"),
    DeploymentSpec(reconcile_flow, "monthly", "Reconcile the previous month's payouts against the provider's "
                   "statement, at 03:00 on the 1st; run by hand with a month (YYYY-MM) for any other.",
                   ("reconciliation", "finance"), cron="0 3 1 * *"),
    DeploymentSpec(deadlines, "daily", "Breach the case clocks that ran out (mediation's 3 working days to accept, "
                   "15 days to agree: then referral to arbitration) at 00:30, and list what is due and overdue "
                   "(artifact `deadlines`). Run by hand with a date to look at another day.", ("deadlines",),
                   cron="30 0 * * *"),
    DeploymentSpec(verify_audit_trail, "nightly", "Verify the hash-chained audit trail every night at 02:30.",
                   ("audit",), cron="30 2 * * *", parameters={"scheduled": "nightly"}),
)


def build_deployments() -> list[Any]:
    return [
        spec.flow.to_deployment(
            name=spec.name,
            description=spec.description,
            tags=list(spec.tags),
            parameters=spec.parameters or None,
            schedules=[Cron(spec.cron, timezone=TIMEZONE)] if spec.cron else None,
        )
        for spec in DEPLOYMENTS
    ]
