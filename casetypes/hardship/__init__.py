"""Hardship aid (困难职工帮扶): intake → verification → approval → payout → closed.

The type's parts: the application form (``models.intake``), its intake and verification tasks
(``tasks.hardship``: the registry is asked, the policy version in force on the day the
application was received is applied), its approval decision (``decision``), its payment plan
(the approved amount to the applicant, at once) and the engine's money steps. A campaign case (student aid) is decided by its campaign's runs, not here.
"""

from __future__ import annotations

from casetypes.hardship.decision import ApprovalDecision, decide_task, summary
from casetypes.hardship.intake import hardship_intake
from casetypes.spec import CaseTypeSpec, IntakeFiles
from casetypes.steps import AwaitDecision, Check, close_paid, pay_approved, settle_payout
from models.enums import CaseStatus, CaseType
from models.intake import application_schema
from services.hardship_files import read_applications
from services.intake import intake_hardship
from services.obligations import pay_the_applicant
from tasks.hardship import verify_task

verify = Check(verify_task)

HARDSHIP = CaseTypeSpec(
    case_type=CaseType.hardship,
    title="hardship aid 困难职工帮扶",
    intake_flow=hardship_intake,
    files=IntakeFiles(application_schema, read_applications, intake_hardship),
    steps={
        CaseStatus.submitted: verify,
        CaseStatus.verifying: verify,
        CaseStatus.awaiting_approval: AwaitDecision(ApprovalDecision, summary, decide_task),
        CaseStatus.approved: pay_approved,
        CaseStatus.payout_pending: settle_payout,
        CaseStatus.paid: close_paid,
    },
    payment_plan=pay_the_applicant,
)

__all__ = ["HARDSHIP", "ApprovalDecision", "hardship_intake"]
