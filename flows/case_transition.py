"""Move one case by hand: withdraw, close, ask for information, … as a named staff member.

The database decides: the transition table refuses moves that are not allowed or not allowed
to this person, and the move is guarded by the version the flow read.
"""

from __future__ import annotations

from typing import Annotated

from prefect import flow, get_run_logger
from pydantic import BaseModel, ConfigDict, Field

from casetypes.labels import case_run_name, tag_current_run
from flows.run_parameters import forget_codes
from models.enums import CaseStatus
from models.identity import CODE_PATTERN, StaffClaim
from models.intake import Sensitive
from services.masking import install_masking
from tasks.cases import load_case_label, move_case_task

install_masking()


class CaseMove(BaseModel):
    """Move a case to another status. The transition table decides whether this person may."""

    model_config = ConfigDict(title="Case move 案件状态变更", use_enum_values=False, hide_input_in_errors=True)

    case_number: str = Field(title="Case number 案件编号", description="e.g. HA-2026-000123",
                             pattern=r"^[A-Za-z]{2}-\d{4}-\d{6}$")
    to_status: CaseStatus = Field(title="New status 目标状态",
                                  description="where the case should go, e.g. withdrawn or closed")
    staff_number: str = Field(title="Staff number 工号", description="who makes the move; recorded in the audit trail",
                              min_length=1, max_length=32)
    one_time_code: str = Field(title="One-time code 动态码", pattern=CODE_PATTERN,
                               description="your code from your authenticator app")
    reason: Annotated[str, Sensitive] = Field(title="Reason 理由", description="why; recorded in the audit trail (no ID or card numbers)",
                        min_length=2, max_length=2000)


@flow(name="case-transition", flow_run_name=case_run_name, log_prints=False)
def move_case(move: CaseMove) -> str:
    """Move one case by hand, as a staff member who proves who they are."""
    logger = get_run_logger()
    forget_codes({"move": move.model_dump(mode="json")})  # first of all: no code kept, whatever happens next
    label = load_case_label(move.case_number.upper())
    tag_current_run(label.case_type, label.unit)
    claim = StaffClaim(move.staff_number.strip(), move.one_time_code.strip())
    status = move_case_task(label.case_number, move.to_status, claim, move.reason, label.version)
    logger.info("case %s moved from %s to %s by %s", label.case_number, label.status, status, move.staff_number)
    return status
