"""A case's free text as staff typed it (the application's reason, the oral record, each
decision's reason, the objections to its public notice), decrypted for the staff whose work needs it. Every read is in the trail:
who read which case's text, and how they proved who they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from models.campaigns import CampaignCase
from models.cases import Approval, HardshipDetail
from models.enums import Role
from models.identity import Actor
from models.notices import CaseNotice
from services import auth, pii
from services.audit import append_event
from services.cases import load_case
from services.db import transaction

READERS = frozenset({Role.caseworker, Role.approver, Role.supervisor})


@dataclass(frozen=True)
class CaseText:
    case_number: str
    reason: str
    oral_record: str | None
    decisions: list[tuple[str, str]]  # (approve or reject, the reason given), in order
    objections: str | None = None  # what was objected to during the case's public notice
    students: list[str] | None = None  # student aid: "name, school, grade (level)" per student


def case_text(case_number: str, *, actor: Actor, engine: Engine | None = None) -> CaseText:
    """The case's free text, for a caseworker, approver or supervisor who proves who they are."""
    with transaction(engine) as session:
        _, who = auth.require_role(session, actor, READERS, "reading a case's application text")
        case = load_case(session, case_number)
        detail = session.get(HardshipDetail, case.id)
        notice = session.get(CaseNotice, case.id)
        link = session.execute(select(CampaignCase).where(col(CampaignCase.case_id) == case.id)).scalar_one_or_none()
        objections = (notice.objection_text if notice else None) or (link.objection_text if link else None)
        decisions = session.execute(select(col(Approval.decision), col(Approval.reason))
                                    .where(col(Approval.case_id) == case.id).order_by(col(Approval.id))).all()
        append_event(session, actor=who, action="case_text_read", case_id=case.id, case_number=case.case_number,
                     reason="application text read")
        return CaseText(case.case_number, (pii.open_text(detail.reason) or "") if detail else "",
                        _oral_record(pii.open_text(detail.oral_record)) if detail else None,
                        [(getattr(d, "value", str(d)), pii.open_text(r) or "") for d, r in decisions],
                        pii.open_text(objections), _students(detail.facts) if detail else None)


def _oral_record(text: str | None) -> str | None:
    """The oral record as the application record it stands for: its parts, one per line (a record
    from before the parts were asked for is its words as typed)."""
    if not text:
        return text
    try:
        record = json.loads(text)
    except ValueError:
        return text
    if not isinstance(record, dict):
        return text
    confirmed = "confirmed by the applicant" if record.get("applicant_confirmed") else "not confirmed"
    return (f"\n  applicant: {record.get('applicant', '')}\n  applies for: {record.get('matter', '')}"
            f"\n  reasons: {record.get('reasons', '')}\n  recorded at {record.get('recorded_at', '')} by "
            f"{record.get('recorded_by', '')}; {confirmed}")


def _students(facts: dict[str, Any]) -> list[str] | None:
    sealed = facts.get("students_sealed")
    if not isinstance(sealed, str):
        return None
    named: list[dict[str, str]] = json.loads(pii.open_text(sealed) or "[]")
    about: list[dict[str, str]] = facts.get("students") or []
    return [f"{n.get('name', '')}, {n.get('school', '')}, {a.get('grade', '')} ({a.get('level', '')})"
            for n, a in zip(named, about, strict=False)]
