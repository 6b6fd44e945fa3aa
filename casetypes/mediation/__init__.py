"""Labour-dispute mediation (劳动争议调解): intake (also oral, art. 12) → checks → acceptance
within 3 working days → sessions → an effective agreement (art. 14), a failure, or the 15-day
clock → referral to arbitration.

The type's parts: the application form (``form``), its rules (``rules``, each with its legal
basis), its policy file (``policy``: bodies, jurisdiction, extension limit, advance thresholds),
its moves and clocks (``moves``), its services (``service``), the intake flow and the acceptance
decision. The case is with a mediation body (a unit): the station of the employer's grassroots
union, or the district committee.
"""

from __future__ import annotations

from casetypes.mediation import service
from casetypes.mediation.decision import AcceptanceDecision, decide_task, summary
from casetypes.mediation.files import read_mediation_applications
from casetypes.mediation.form import mediation_schema
from casetypes.mediation.intake import mediation_intake
from casetypes.mediation.moves import CLOCKS, MOVES
from casetypes.mediation.prefect_tasks import check_task
from casetypes.spec import CaseTypeSpec, IntakeFiles
from casetypes.steps import AwaitDecision, Check
from models.enums import CaseStatus, CaseType
from services.guards import register_guard

register_guard("mediation_checks_passed", service.checks_passed)
register_guard("agreement_effective", service.agreement_effective)

check = Check(check_task, artifact="checks")

MEDIATION = CaseTypeSpec(
    case_type=CaseType.mediation,
    title="labour-dispute mediation 劳动争议调解",
    intake_flow=mediation_intake,
    files=IntakeFiles(mediation_schema, read_mediation_applications, service.intake_mediation),
    steps={
        CaseStatus.submitted: check,
        CaseStatus.verifying: check,
        CaseStatus.awaiting_approval: AwaitDecision(AcceptanceDecision, summary, decide_task),
    },
    moves=MOVES,
    clocks=CLOCKS,
)

__all__ = ["MEDIATION", "AcceptanceDecision", "mediation_intake"]
