"""Importing members from a CSV or JSON file.

Rules kept: every row is checked and every problem reported by row and field, never with the
value; valid rows are stored together in one transaction, invalid rows not at all; importing
the same file again changes nothing (each row carries a fingerprint of its normalised data).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from models.enums import MembershipStatus, Role, UnitLevel
from models.errors import FieldProblem, InputError, field_path
from models.identifiers import mask_bank_card, mask_mobile, normalize_bank_card, normalize_mobile, parse_resident_id
from models.identity import Actor
from models.members import Household, HouseholdMember, Member
from models.money import parse_yuan
from models.org import Staff, Unit
from models.time import utcnow
from services import auth, pii
from services.audit import append_event
from services.db import transaction
from services.import_files import csv_rows, load_json, read_text

REQUIRED = ("member_number", "name", "resident_id", "unit_code", "join_date")
OPTIONAL = ("mobile", "status", "household_number", "relation", "monthly_income", "bank_card")
RELATIONS = ("self", "spouse", "child", "parent", "other")


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[FieldProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        return (f"{self.rows} rows: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.rejected_rows} rejected")


@dataclass(frozen=True)
class MemberRow:
    row: int
    member_number: str
    name: str
    resident_id: str
    id_hash: str
    id_masked: str
    gender: str
    birth_date: date
    mobile: str | None
    unit_code: str
    join_date: date
    status: MembershipStatus
    household_number: str | None
    relation: str
    monthly_income_fen: int
    bank_card: str | None = None

    @property
    def fingerprint(self) -> str:
        parts = [self.member_number, self.name, self.id_hash, self.mobile or "", self.unit_code,
                 self.join_date.isoformat(), self.status.value, self.household_number or "", self.relation,
                 str(self.monthly_income_fen), self.bank_card or ""]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def read_rows(path: Path, required: tuple[str, ...] = REQUIRED, optional: tuple[str, ...] = OPTIONAL,
              json_key: str = "members") -> tuple[list[dict[str, Any]], list[str]]:
    """Rows as dicts (CSV or JSON by extension) and the columns we do not know. JSON is a list of
    objects, or an object with the list under ``json_key``."""
    text = read_text(path, hint="save the spreadsheet as CSV UTF-8")
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = load_json(text)
        if isinstance(data, dict):
            data = data.get(json_key)
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError("file", f"JSON must be a list of objects or {{\"{json_key}\": [...]}}")
        rows = [{str(k).strip(): v for k, v in r.items()} for r in data]
    elif suffix == ".csv":
        rows = [row for _, row in csv_rows(text)]
    else:
        raise InputError("file", "must end in .csv or .json")
    if not rows:
        raise InputError("file", "has no rows: nothing to import")
    columns = {c for r in rows for c in r}
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError("file", f"missing column(s): {', '.join(missing)}")
    unknown = sorted(columns - set(required) - set(optional))
    if unknown:
        # A misspelt column would otherwise be dropped without a word, its values lost.
        names = ", ".join(field_path((name,)) for name in unknown[:5])  # a header may hold a value: never repeated
        raise InputError("file", f"unknown column(s): {names}; the columns are {', '.join(required + optional)}")
    return rows, []


# The longest value each text column holds (the database's column sizes).
LONGEST = {"member_number": 32, "name": 100, "unit_code": 32, "household_number": 32}


def validate_row(number: int, raw: dict[str, Any]) -> MemberRow | list[FieldProblem]:
    problems: list[FieldProblem] = []

    def text(name: str) -> str:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:
            if not any(p.field == name for p in problems):
                problems.append(FieldProblem(name, "contains a NUL character", number))
            return value.replace("\x00", "")  # the row is refused; its other checks go on
        return value

    def need(name: str) -> str:
        value = text(name)
        if not value:
            problems.append(FieldProblem(name, "is required", number))
        return value

    member_number, name, unit_code = need("member_number"), need("name"), need("unit_code")
    resident = None
    try:
        resident = parse_resident_id(text("resident_id"))
    except InputError as exc:
        problems.append(FieldProblem("resident_id", exc.problem_detail.problem, number))
    mobile = None
    if text("mobile"):
        try:
            mobile = normalize_mobile(text("mobile"))
        except InputError as exc:
            problems.append(FieldProblem("mobile", exc.problem_detail.problem, number))
    join = None
    if need("join_date"):
        try:
            join = date.fromisoformat(text("join_date"))
        except ValueError:
            problems.append(FieldProblem("join_date", "must be a date as YYYY-MM-DD", number))
        else:
            if join > date.today():
                problems.append(FieldProblem("join_date", "is in the future", number))
    status = MembershipStatus.active
    if text("status"):
        try:
            status = MembershipStatus(text("status").lower())
        except ValueError:
            problems.append(FieldProblem("status", "must be active, suspended or left", number))
    relation = text("relation").lower() or "self"
    if relation not in RELATIONS:
        problems.append(FieldProblem("relation", f"must be one of {', '.join(RELATIONS)}", number))
    card = None
    if text("bank_card"):
        try:
            card = normalize_bank_card(text("bank_card"))
        except InputError as exc:
            problems.append(FieldProblem("bank_card", exc.problem_detail.problem, number))
    income = 0
    if text("monthly_income"):
        try:
            income = parse_yuan(text("monthly_income"), "monthly_income")
        except InputError as exc:
            problems.append(FieldProblem("monthly_income", exc.problem_detail.problem, number))
    for field_name, longest in LONGEST.items():
        if len(text(field_name)) > longest:
            problems.append(FieldProblem(field_name, f"is longer than {longest} characters", number))
    if resident and join and join < resident.birth_date:
        problems.append(FieldProblem("join_date", "is before the birth date on the resident ID", number))
    if problems or resident is None or join is None:
        return problems
    return MemberRow(
        row=number, member_number=member_number, name=name, resident_id=resident.number,
        id_hash=pii.hash_identifier(resident.number), id_masked=resident.masked, gender=resident.gender,
        birth_date=resident.birth_date, mobile=mobile, unit_code=unit_code, join_date=join, status=status,
        household_number=text("household_number") or None, relation=relation, monthly_income_fen=income,
        bank_card=card,
    )


IMPORT_ROLES = frozenset({Role.caseworker, Role.supervisor})


def import_members(path: Path, *, actor: Actor, engine: Engine | None = None) -> ImportReport:
    """Carry members over from a file, by a caseworker or supervisor who proves who they are.

    While no supervisor is enrolled (a new installation) the operator imports as ``system``.
    Rules kept: grassroots staff import their own unit's members only, into households of their
    own unit; a member's bank card is changed by a supervisor only (it decides where payouts go).
    Each refused row is reported by row and field; the others are stored together."""
    raw_rows, unknown = read_rows(path)
    report = ImportReport(rows=len(raw_rows), ignored_columns=unknown)
    valid: list[MemberRow] = []
    seen_numbers: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for index, raw in enumerate(raw_rows, start=2 if path.suffix.lower() == ".csv" else 1):
        result = validate_row(index, raw)
        if isinstance(result, list):
            report.problems.extend(result)
            continue
        if result.member_number in seen_numbers:
            report.problems.append(FieldProblem("member_number", f"repeats row {seen_numbers[result.member_number]}", index))
            continue
        if result.id_hash in seen_ids:
            report.problems.append(FieldProblem("resident_id", f"same person as row {seen_ids[result.id_hash]}", index))
            continue
        seen_numbers[result.member_number] = index
        seen_ids[result.id_hash] = index
        valid.append(result)

    with transaction(engine) as session:
        who = auth.require_setup(session, actor, IMPORT_ROLES, "importing members")
        staff = auth.staff_of(session, who)  # None: the operator, setting a new installation up
        units = {u.code: u for u in session.execute(select(Unit)).scalars()}
        own = session.get(Unit, staff.unit_id) if staff is not None else None
        district = staff is None or (own is not None and own.level == UnitLevel.district)
        for row in valid:
            unit = units.get(row.unit_code)
            if unit is None:
                report.problems.append(FieldProblem("unit_code", "is not a known unit", row.row))
                continue
            existing = session.execute(
                select(Member).where(col(Member.member_number) == row.member_number)
            ).scalar_one_or_none()
            refused = _scope_refusal(session, row, unit, existing, staff, district)
            if refused is not None:
                report.problems.append(refused)
                continue
            holder = session.execute(
                select(Member).where(col(Member.resident_id_hash) == row.id_hash)
            ).scalar_one_or_none()
            if holder is not None and (existing is None or holder.id != existing.id):
                report.problems.append(FieldProblem("resident_id", "is already registered to another member number", row.row))
                continue
            if existing is not None and existing.source_fingerprint == row.fingerprint:
                report.unchanged += 1
                continue
            member = existing or Member(member_number=row.member_number)  # type: ignore[call-arg]
            _fill(member, row, unit, session)
            session.add(member)
            session.flush()
            _link_household(session, member, row)
            if existing is None:
                report.created += 1
            else:
                report.updated += 1
        report.problems.sort(key=lambda p: (p.row or 0, p.field))
        if report.created or report.updated:
            append_event(session, actor=who, action="members_imported",
                         payload={"file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                  "created": report.created, "updated": report.updated,
                                  "unchanged": report.unchanged, "rejected": report.rejected_rows})
    return report


def _scope_refusal(session: Any, row: MemberRow, unit: Unit, existing: Member | None, staff: Staff | None,
                   district: bool) -> FieldProblem | None:
    """Why this importer may not store this row, as the field it concerns; None when they may."""
    if staff is None:
        return None
    if not district:
        if unit.id != staff.unit_id or (existing is not None and existing.unit_id != staff.unit_id):
            return FieldProblem("unit_code", "is another unit's: grassroots staff import their own unit's members",
                                row.row)
        if row.household_number:
            household = session.execute(select(Household).where(
                col(Household.household_number) == row.household_number)).scalar_one_or_none()
            if household is not None and household.unit_id != staff.unit_id:
                return FieldProblem("household_number", "is another unit's household", row.row)
    if existing is not None and existing.bank_account_enc is not None and not staff.has_role(Role.supervisor):
        card_now = pii.decrypt(existing.bank_account_enc)
        if (row.bank_card or None) != card_now:
            return FieldProblem("bank_card", "differs from the card on file: a supervisor changes a member's bank card",
                                row.row)
    return None


def _fill(member: Member, row: MemberRow, unit: Unit, session: Any) -> None:
    member.name = row.name
    member.resident_id_hash = row.id_hash
    member.resident_id_masked = row.id_masked
    member.resident_id_enc = pii.encrypt(row.resident_id)
    member.gender = row.gender
    member.birth_date = row.birth_date
    member.mobile_masked = mask_mobile(row.mobile) if row.mobile else None
    member.mobile_enc = pii.encrypt(row.mobile) if row.mobile else None
    member.bank_account_masked = mask_bank_card(row.bank_card) if row.bank_card else None
    member.bank_account_enc = pii.encrypt(row.bank_card) if row.bank_card else None
    member.unit_id = unit.id  # type: ignore[assignment]
    member.join_date = row.join_date
    member.status = row.status
    member.source_fingerprint = row.fingerprint
    member.updated_at = utcnow()
    if row.household_number:
        household = session.execute(
            select(Household).where(col(Household.household_number) == row.household_number)
        ).scalar_one_or_none()
        if household is None:
            household = Household(household_number=row.household_number, unit_id=unit.id)  # type: ignore[arg-type]
            session.add(household)
            session.flush()
        member.household_id = household.id
    else:
        member.household_id = None


def _link_household(session: Any, member: Member, row: MemberRow) -> None:
    link = session.execute(
        select(HouseholdMember).where(col(HouseholdMember.member_id) == member.id)
    ).scalar_one_or_none()
    if member.household_id is None:
        if link is not None:
            session.delete(link)
        return
    if link is None:
        link = HouseholdMember(household_id=member.household_id, member_id=member.id, name=row.name,
                               relation=row.relation)
    link.household_id = member.household_id
    link.name = row.name
    link.relation = row.relation
    link.resident_id_hash = row.id_hash
    link.monthly_income_fen = row.monthly_income_fen
    session.add(link)
