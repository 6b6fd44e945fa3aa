"""Cases as staff read them: the list, one case with its history, a case's requested amount,
what a person deciding a case is shown.

Each call is its own unit of work and returns plain data, detached from the session: the unit,
applicant and submitter by their numbers, the applicant's resident ID only masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from models.audit import AuditEvent
from models.cases import Approval, Case
from models.enums import CaseStatus, CaseType
from models.errors import NotFound, shown_code
from models.members import Member
from models.org import Staff, Unit
from services.approvals import count_refused_decisions
from services.audit import case_history
from services.cases import load_case
from services.db import transaction
from services.notices import campaign_of, case_notice


@dataclass(frozen=True)
class CaseLine:
    """One case as a list shows it; times as stored (UTC)."""

    case_number: str
    case_type: CaseType
    category: str
    status: CaseStatus
    unit: str
    applicant: str
    requested_fen: int
    approved_fen: int | None
    paid_fen: int
    submitted_by: str
    submitted_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class CaseDetail:
    """One case, its applicant by name and masked resident ID, and its audit history in order."""

    case: CaseLine
    applicant_name: str
    applicant_resident_id_masked: str
    history: list[AuditEvent]


def _with_people() -> Any:
    return (select(Case, Unit, Member, Staff).join(Unit, col(Unit.id) == Case.unit_id)
            .outerjoin(Member, col(Member.id) == Case.applicant_member_id)
            .join(Staff, col(Staff.id) == Case.submitted_by_staff_id))


NOT_A_MEMBER = "(not a member)"  # a worker in mediation need not be one


def _line(case: Case, unit: Unit, applicant: Member | None, submitter: Staff) -> CaseLine:
    return CaseLine(case.case_number, case.case_type, case.category, case.status, unit.code,
                    applicant.member_number if applicant is not None else NOT_A_MEMBER,
                    case.requested_fen, case.approved_fen, case.paid_fen, submitter.staff_number, case.submitted_at,
                    case.updated_at, case.version)


def list_cases(*, case_type: CaseType | None = None, status: CaseStatus | None = None, unit_code: str | None = None,
               limit: int = 100, engine: Engine | None = None) -> list[CaseLine]:
    """Cases newest first (by id), filtered by type, status and unit code when given."""
    query = _with_people()
    if case_type:
        query = query.where(col(Case.case_type) == case_type)
    if status:
        query = query.where(col(Case.status) == status)
    if unit_code:
        query = query.where(col(Unit.code) == unit_code)
    with transaction(engine) as session:
        return [_line(*row) for row in session.execute(query.order_by(col(Case.id).desc()).limit(limit)).all()]


def case_detail(case_number: str, *, engine: Engine | None = None) -> CaseDetail:
    """The case and its history; NotFound when there is no such case or it has no audit events."""
    with transaction(engine) as session:
        row = session.execute(_with_people().where(col(Case.case_number) == case_number)).first()
        if row is None:
            raise NotFound(f"case {shown_code(case_number)} does not exist")
        applicant = row[2]
        if applicant is None:  # a worker who is not a member: `unionaid mediation show` shows them
            return CaseDetail(_line(*row), NOT_A_MEMBER, "—", case_history(session, case_number))
        return CaseDetail(_line(*row), applicant.name, applicant.resident_id_masked, case_history(session, case_number))


def requested_amount(case_number: str, *, engine: Engine | None = None) -> int:
    """What the case asks for, in fen (the default an approver approves)."""
    with transaction(engine) as session:
        return load_case(session, case_number).requested_fen


@dataclass(frozen=True)
class DecisionContext:
    """What a run waiting for a decision shows and keys its wait on: no personal data.

    ``key`` changes with every version, approval and refused decision, so a run asks afresh
    after each; ``carried_by`` names the campaign whose runs decide the case instead, if any.
    """

    case_number: str
    category: str
    status: CaseStatus
    requested_fen: int
    key: str
    carried_by: str | None
    notice_until: date | None = None  # the last day of the case's own public notice
    objections: int = 0  # objections recorded against that notice


def decision_context(case_number: str, *, engine: Engine | None = None) -> DecisionContext:
    with transaction(engine) as session:
        case = load_case(session, case_number)
        campaign = campaign_of(session, case)
        approvals_so_far = session.execute(select(func.count()).select_from(Approval)
                                           .where(col(Approval.case_id) == case.id)).scalar_one()
        refusals = count_refused_decisions(session, case)
        notice = case_notice(session, case)
        return DecisionContext(case.case_number, case.category, case.status, case.requested_fen,
                               f"approval-v{case.version}-a{approvals_so_far}-r{refusals}",
                               f"campaign {campaign}" if campaign is not None else None,
                               notice.ends_on if notice else None, notice.objections if notice else 0)
