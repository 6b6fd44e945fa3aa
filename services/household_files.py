"""The household file (建档): what the information system knows of a hardship household, and its
aid history, for the staff whose work needs it.

Rules kept: the file is written by a caseworker or supervisor of the household's unit (district
staff for any), with every part given (situation, skills and needs in words, causes by the
policy's names); the words are stored encrypted and the trail records only that the file was
written. Reading it is for caseworkers, approvers and supervisors who prove who they are, and
each read is audited, like a case's text. The aid history is the household's cases (any member's,
by the case file) and its pairings, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import col

from models.assistance import Pairing
from models.cases import Case, HardshipDetail
from models.errors import InputError
from models.identity import Actor
from models.members import HouseholdFile
from models.policy import Cause
from models.time import utcnow
from services import auth, households, pii
from services.audit import append_event
from services.case_files import READERS
from services.db import transaction


@dataclass(frozen=True)
class AidLine:
    """One case of the household: what was asked for and what came of it (no personal data)."""

    case_number: str
    category: str
    applied_on: str
    status: str
    approved_fen: int | None
    paid_fen: int


@dataclass(frozen=True)
class HouseholdRecord:
    household_number: str
    tier: str | None
    registered_on: date | None
    situation: str | None
    causes: list[str]
    skills: str | None
    needs: str | None
    aid: list[AidLine]
    pairings: list[str]  # "since 2026-03-01 (model worker), until …"


def _words(value: str, field: str) -> str:
    cleaned = (value or "").strip()
    if len(cleaned) < 2 or len(cleaned) > 4000:
        raise InputError(field, "must be 2 to 4,000 characters")
    if "\x00" in cleaned:
        raise InputError(field, "contains a NUL character")
    return cleaned


def write_file(household_number: str, *, situation: str, causes: list[str], skills: str, needs: str, actor: Actor,
               engine: Engine | None = None) -> str:
    """Write (or rewrite) the household's file; returns what was done."""
    parts = {"situation": _words(situation, "situation"), "skills": _words(skills, "skills"),
             "needs": _words(needs, "needs")}
    try:
        named = sorted({Cause(c.strip()).value for c in causes if c.strip()})
    except ValueError:
        raise InputError("causes", f"each must be one of {', '.join(c.value for c in Cause)}") from None
    if not named:
        raise InputError("causes", "name at least one cause of the household's hardship")
    with transaction(engine) as session:
        household = households.find_household(session, household_number)
        who = households.acting_for_household(session, actor, household, "writing a household's file")
        assert household.id is not None
        file = session.get(HouseholdFile, household.id)
        new = file is None
        if file is None:
            file = HouseholdFile(household_id=household.id, situation="", skills="", needs="",
                                 updated_by=who.staff_number, updated_at=utcnow())
        file.situation, file.skills, file.needs = (pii.seal_text(parts[k]) for k in ("situation", "skills", "needs"))
        file.causes, file.updated_by, file.updated_at = named, who.staff_number, utcnow()
        session.add(file)
        append_event(session, actor=who, action="household_file_written", reason="the household's file (建档)",
                     payload={"household": household_number, "causes": named})
    return f"household {household_number}: file {'written' if new else 'updated'}"


def read_file(household_number: str, *, actor: Actor, engine: Engine | None = None) -> HouseholdRecord:
    """The household's file and its aid history, for a caseworker, approver or supervisor (audited)."""
    with transaction(engine) as session:
        _, who = auth.require_role(session, actor, READERS, "reading a household's file")
        household = households.find_household(session, household_number)
        file = session.get(HouseholdFile, household.id)
        cases = session.execute(select(Case, HardshipDetail).join(HardshipDetail, col(HardshipDetail.case_id) == Case.id)
                                .where(col(HardshipDetail.household_id) == household.id).order_by(col(Case.id))).all()
        aid = [AidLine(c.case_number, c.category, str(d.facts.get("applied_on", "")), c.status.value, c.approved_fen,
                       c.paid_fen) for c, d in cases]
        pairings = [f"since {p.started_on.isoformat()} ({p.helper_kind.value.replace('_', ' ')})"
                    + (f", until {p.ended_on.isoformat()}" if p.ended_on else "")
                    for p in session.execute(select(Pairing).where(col(Pairing.household_id) == household.id)
                                             .order_by(col(Pairing.started_on))).scalars()]
        append_event(session, actor=who, action="household_file_read", reason="household file read",
                     payload={"household": household_number})
        return HouseholdRecord(household_number, household.hardship_tier, household.registered_on,
                               pii.open_text(file.situation) if file else None, list(file.causes) if file else [],
                               pii.open_text(file.skills) if file else None, pii.open_text(file.needs) if file else None,
                               aid, pairings)
