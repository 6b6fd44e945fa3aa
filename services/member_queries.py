"""Members as staff may see them: listed by member number with their unit, resident IDs only masked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import col

from models.enums import MembershipStatus
from models.members import Member
from models.org import Unit
from services.db import transaction


@dataclass(frozen=True)
class MemberLine:
    """One member as a list shows it: never the full resident ID."""

    member_number: str
    name: str
    resident_id_masked: str
    unit: str
    status: MembershipStatus


def list_members(*, limit: int = 50, engine: Engine | None = None) -> list[MemberLine]:
    """The first ``limit`` members by member number."""
    with transaction(engine) as session:
        rows = session.execute(select(Member, Unit).join(Unit, col(Unit.id) == Member.unit_id)
                               .order_by(Member.member_number).limit(limit)).all()
        return [MemberLine(m.member_number, m.name, m.resident_id_masked, u.code, m.status) for m, u in rows]
