"""Units and staff: adding and listing them, each change audited."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models.enums import Role, UnitLevel
from models.errors import FieldProblem, InputError, NotFound, ValidationFailed
from models.identity import Actor
from models.org import Staff, Unit
from services import auth
from services.audit import append_event
from services.db import transaction


def add_unit(code: str, name: str, level: UnitLevel, parent_code: str | None = None, *, actor: Actor = "system",
             engine: Engine | None = None) -> Unit:
    code = code.strip()
    if not code:
        raise InputError("code", "is required")
    with transaction(engine) as session:
        who = auth.require_supervisor(session, actor, "adding a unit")
        if session.execute(select(Unit).where(col(Unit.code) == code)).scalar_one_or_none():
            raise InputError("code", f"unit {code} already exists")
        parent_id = None
        if parent_code:
            parent = session.execute(select(Unit).where(col(Unit.code) == parent_code)).scalar_one_or_none()
            if parent is None:
                raise InputError("parent", f"unit {parent_code} does not exist")
            parent_id = parent.id
        unit = Unit(code=code, name=name.strip(), level=level, parent_id=parent_id)
        session.add(unit)
        session.flush()
        append_event(session, actor=who, action="unit_added", payload={"unit": code, "level": level.value})
        return unit


def parse_roles(text: str) -> list[Role]:
    roles: list[Role] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        try:
            roles.append(Role(part))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InputError("roles", f"'{part}' is not a role (known: {known})") from None
    if not roles:
        raise InputError("roles", "at least one role is required")
    return roles


def add_staff(staff_number: str, name: str, unit_code: str, roles: list[Role], approval_limit_fen: int = 0, *,
              actor: Actor = "system", engine: Engine | None = None) -> Staff:
    problems = []
    if not staff_number.strip():
        problems.append(FieldProblem("staff_number", "is required"))
    if not name.strip():
        problems.append(FieldProblem("name", "is required"))
    if approval_limit_fen < 0:
        problems.append(FieldProblem("approval_limit", "must not be negative"))
    if approval_limit_fen > 0 and Role.approver not in roles:
        problems.append(FieldProblem("approval_limit", "only approvers have an approval limit"))
    if problems:
        raise ValidationFailed(problems)
    with transaction(engine) as session:
        who = auth.require_supervisor(session, actor, "adding staff")
        unit = session.execute(select(Unit).where(col(Unit.code) == unit_code)).scalar_one_or_none()
        if unit is None:
            raise InputError("unit", f"unit {unit_code} does not exist")
        if session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one_or_none():
            raise InputError("staff_number", f"staff member {staff_number} already exists")
        staff = Staff(staff_number=staff_number.strip(), name=name.strip(), unit_id=unit.id,
                      roles=",".join(sorted({r.value for r in roles})), approval_limit_fen=approval_limit_fen)
        session.add(staff)
        session.flush()
        append_event(session, actor=who, action="staff_added",
                     payload={"staff_number": staff.staff_number, "unit": unit_code, "roles": staff.roles,
                              "approval_limit_fen": approval_limit_fen})
        return staff


def list_units(engine: Engine | None = None) -> list[Unit]:
    with transaction(engine) as session:
        return list(session.execute(select(Unit).order_by(Unit.code)).scalars())


def list_staff(engine: Engine | None = None) -> list[tuple[Staff, Unit]]:
    with transaction(engine) as session:
        rows = session.execute(select(Staff, Unit).join(Unit, col(Unit.id) == Staff.unit_id)
                               .order_by(Staff.staff_number)).all()
        return [(s, u) for s, u in rows]


def get_unit(session: Session, code: str) -> Unit:
    unit = session.execute(select(Unit).where(col(Unit.code) == code)).scalar_one_or_none()
    if unit is None:
        raise NotFound(f"unit {code} does not exist")
    return unit
