"""Mutual-insurance claims (职工互助保障): products in a versioned file, group enrolment with
contributions into each product's pool, claims checked by pure rules, a benefit calculated with
its explanation, openIMIS-style review (automatic, sampled, above the limit) and payout from the
pool to the member or a named beneficiary.

The type's parts: the product file (``products``), the enrolment import (``enrolment``), the
claim form (``form``), its rules (``rules``) and calculation (``benefit``), its services
(``service``), its moves, the intake flow and the reviewer's decision.
"""

from __future__ import annotations

from casetypes.insurance import service
from casetypes.insurance.batch_flow import insurance_batch
from casetypes.insurance.decision import ReviewDecision, decide_task, summary
from casetypes.insurance.files import read_claims
from casetypes.insurance.form import claim_schema
from casetypes.insurance.intake import insurance_intake
from casetypes.insurance.moves import MOVES
from casetypes.insurance.prefect_tasks import check_task
from casetypes.spec import CaseTypeSpec, IntakeFiles, MoreDeployment
from casetypes.steps import AwaitDecision, Check, close_paid, pay_approved, settle_payout
from models.enums import CaseStatus, CaseType
from models.obligations import Party
from services.payouts import register_payee

register_payee(Party.beneficiary, service.beneficiary_payee)

check = Check(check_task, artifact="claim")

INSURANCE = CaseTypeSpec(
    case_type=CaseType.insurance,
    title="mutual-insurance claim 职工互助保障",
    intake_flow=insurance_intake,
    files=IntakeFiles(claim_schema, read_claims, service.intake_claim),
    steps={
        CaseStatus.submitted: check,
        CaseStatus.verifying: check,
        CaseStatus.awaiting_approval: AwaitDecision(ReviewDecision, summary, decide_task),
        CaseStatus.approved: pay_approved,
        CaseStatus.payout_pending: settle_payout,
        CaseStatus.paid: close_paid,
    },
    moves=MOVES,
    thresholds=service.thresholds,
    payment_plan=service.payment_plan,
    deployments=(MoreDeployment(insurance_batch, "bulk", "Take a registered claims batch (a hospital's settlement "
                                "list: `unionaid insurance batch FILE`) in chunks: each row a claim, checked and "
                                "routed, the automatic approvals paid. Progress and the rows not taken are its "
                                "artifacts. Safe to run again: nothing is taken or paid twice."),),
)

__all__ = ["INSURANCE", "ReviewDecision", "insurance_intake"]
