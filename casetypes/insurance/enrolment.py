"""Group enrolment (团体参保): an employer union's list of members enrolled in a product, and their
contributions into the product's pool.

A list is a CSV or JSON file with the columns ``member_number, product, shares, cover_from``. Each
row is checked and every problem reported by row and field, never with a value; the good rows are
stored together, the bad ones not at all (as the member import). The cover ends after the product's
``cover_months``; the terms are the version in force on ``cover_from``. Each new enrolment posts its
contribution (shares × the contribution per share) into the pool ``MI-<product>`` of the year its
cover starts (contributions → available, keyed by the enrolment: posted once).

Rules kept: an active member of a known unit; grassroots staff enrol their own union's members
only; shares 1 to the product's ``shares_max``; aged within the product's ages on the first day of
cover; not overlapping another enrolment of the member in the same product; the same row again
changes nothing, a changed row for an existing enrolment is refused (its contribution is booked:
a change is a new enrolment after it ends).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from casetypes.insurance.products import ProductFile, load_products
from casetypes.insurance.rules import age_on, cover_until
from models.cases import Programme
from models.enums import CaseType, MembershipStatus, Role, UnitLevel
from models.errors import FieldProblem, InputError
from models.identity import Actor, actor_label
from models.insurance import InsuranceEnrolment
from models.ledger import AccountKind, LedgerPosting
from models.members import Member
from models.org import Unit
from models.plan import INSURANCE_PRODUCTS
from services import auth, ledger
from services.audit import append_event
from services.db import transaction
from services.member_import import ImportReport, read_rows
from services.reports.insurance import covered_people
from services.settings import get_settings

COLUMNS = ("member_number", "product", "shares", "cover_from")
ENROL_ROLES = frozenset({Role.caseworker, Role.supervisor})


@lru_cache(maxsize=4)
def _products_at(path: Path, stamp: int) -> ProductFile:
    return load_products(path)


def current_products() -> ProductFile:
    """The product file of the settings, read again when it changes."""
    path = get_settings().insurance_product_file
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _products_at(path, stamp)


def pool_code(product: str) -> str:
    return f"MI-{product}"


def pool_for(session: Session, product: str, year: int) -> Programme:
    """The product's pool of ``year`` (a programme of the insurance type), made when first needed."""
    code = pool_code(product)
    found = session.execute(select(Programme).where(col(Programme.code) == code, col(Programme.year) == year)
                            ).scalar_one_or_none()
    if found is None:
        found = Programme(code=code, name=f"互助保障资金池 pool: {INSURANCE_PRODUCTS.get(product, product)}",
                          case_type=CaseType.insurance, year=year, budget_fen=0)
        session.add(found)
        session.flush()
    return found


@dataclass(frozen=True)
class EnrolmentRow:
    row: int
    member_number: str
    product: str
    shares: int
    cover_from: date

    @property
    def fingerprint(self) -> str:
        parts = [self.member_number, self.product, str(self.shares), self.cover_from.isoformat()]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _row(number: int, raw: dict[str, Any], products: ProductFile) -> EnrolmentRow | list[FieldProblem]:
    problems: list[FieldProblem] = []

    def text(name: str) -> str:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:
            problems.append(FieldProblem(name, "contains a NUL character", number))
            return ""
        if not value:
            problems.append(FieldProblem(name, "is required", number))
        elif len(value) > 40:
            problems.append(FieldProblem(name, "is longer than 40 characters", number))
            return ""
        return value

    member, product, shares_text, start_text = (text(c) for c in COLUMNS)
    start = None
    if start_text:
        try:
            start = date.fromisoformat(start_text)
        except ValueError:
            problems.append(FieldProblem("cover_from", "must be a date as YYYY-MM-DD", number))
    shares = 0
    if shares_text:
        if not (shares_text.isascii() and shares_text.isdigit()) or int(shares_text) < 1:
            problems.append(FieldProblem("shares", "must be a whole number of at least 1", number))
        else:
            shares = int(shares_text)
    if product and start is not None:
        try:
            terms = products.version_on(start, "cover_from").product(product)
        except InputError as exc:
            problems.append(FieldProblem(exc.problem_detail.field if exc.problem_detail.field != "product" else "product",
                                         exc.problem_detail.problem, number))
        else:
            if shares > terms.shares_max:
                problems.append(FieldProblem("shares", f"is more than the product's {terms.shares_max}", number))
    if problems or start is None:
        return problems
    return EnrolmentRow(number, member, product, shares, start)


def import_enrolments(path: Path, *, actor: Actor, engine: Engine | None = None) -> ImportReport:
    """Enrol the members of a group list, by a caseworker or supervisor who proves who they are;
    each good row posts its contribution into the pool."""
    raw_rows, _ = read_rows(path, required=COLUMNS, optional=(), json_key="enrolments")
    products = current_products()
    report = ImportReport(rows=len(raw_rows))
    valid: list[EnrolmentRow] = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(raw_rows, start=2 if path.suffix.lower() == ".csv" else 1):
        result = _row(index, raw, products)
        if isinstance(result, list):
            report.problems.extend(result)
            continue
        key = (result.member_number, result.product)
        if key in seen:
            report.problems.append(FieldProblem("member_number", f"is enrolled in this product by row {seen[key]} too", index))
            continue
        seen[key] = index
        valid.append(result)
    with transaction(engine) as session:
        who = auth.require_setup(session, actor, ENROL_ROLES, "enrolling members")
        staff = auth.staff_of(session, who)
        own = session.get(Unit, staff.unit_id) if staff is not None else None
        district = staff is None or (own is not None and own.level == UnitLevel.district)
        contributed = 0
        for row in valid:
            problem = _enrol(session, row, products, actor_label(who), None if district else own)
            if isinstance(problem, FieldProblem):
                report.problems.append(problem)
            elif isinstance(problem, int):
                report.created += 1
                contributed += problem
            else:
                report.unchanged += 1
        report.problems.sort(key=lambda p: (p.row or 0, p.field))
        if report.created:
            append_event(session, actor=who, action="enrolments_imported",
                         payload={"file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                                  "created": report.created, "unchanged": report.unchanged,
                                  "rejected": report.rejected_rows, "contributions_fen": contributed})
    return report


def _enrol(session: Session, row: EnrolmentRow, products: ProductFile, who: str,
           only_unit: Unit | None) -> FieldProblem | str | int:
    """Store one row: the contribution posted (fen), ``"unchanged"``, or why not."""
    member = session.execute(select(Member).where(col(Member.member_number) == row.member_number)).scalar_one_or_none()
    if member is None:
        return FieldProblem("member_number", "is not a known member", row.row)
    if only_unit is not None and member.unit_id != only_unit.id:
        return FieldProblem("member_number", "is a member of another union: you enrol your own union's members", row.row)
    version = products.version_on(row.cover_from, "cover_from")
    terms = version.product(row.product)
    end = cover_until(row.cover_from, terms.cover_months)
    same = session.execute(select(InsuranceEnrolment).where(
        col(InsuranceEnrolment.member_id) == member.id, col(InsuranceEnrolment.product) == row.product,
        col(InsuranceEnrolment.cover_from) <= end, col(InsuranceEnrolment.cover_to) >= row.cover_from)).scalars().all()
    for earlier in same:
        if earlier.cover_from == row.cover_from and earlier.source_fingerprint == row.fingerprint:
            return "unchanged"
        if earlier.cover_from == row.cover_from:
            return FieldProblem("shares", f"differ from the enrolment from {earlier.cover_from.isoformat()}, whose "
                                          "contribution is booked: change it with a new enrolment after it ends", row.row)
        return FieldProblem("cover_from", f"overlaps the member's enrolment from {earlier.cover_from.isoformat()} to "
                                          f"{earlier.cover_to.isoformat()}", row.row)
    if member.status != MembershipStatus.active:
        return FieldProblem("member_number", f"is a member who is {member.status.value}, not active", row.row)
    age = age_on(member.birth_date, row.cover_from)
    if not terms.ages.min <= age <= terms.ages.max:
        return FieldProblem("cover_from", f"the member is {age} on this day; the product takes {terms.ages.min} to "
                                          f"{terms.ages.max}", row.row)
    pool = pool_for(session, row.product, row.cover_from.year)
    amount = row.shares * terms.contribution_per_share_fen
    enrolment = InsuranceEnrolment(member_id=member.id, product=row.product, product_version=version.version,
                                   shares=row.shares, cover_from=row.cover_from, cover_to=end,
                                   group_unit_id=member.unit_id, programme_id=pool.id, contribution_fen=amount,  # type: ignore[arg-type]
                                   source_fingerprint=row.fingerprint, enrolled_by=who)
    session.add(enrolment)
    session.flush()
    accounts = ledger.accounts_for(pool)
    ledger.post(session, key=f"contribution:enrolment-{enrolment.id}", kind="contribution", programme=pool,
                lines=[(accounts.of(AccountKind.contributions), -amount), (accounts.available, amount)])
    return amount


@dataclass(frozen=True)
class CoverageRow:
    product: str
    name: str
    year: int
    people: int
    target: int | None
    target_known: bool
    contributions_fen: int


def coverage(year: int, engine: Engine | None = None) -> list[CoverageRow]:
    """Enrolled people per product in ``year``, against the plan's targets (``insurance_covered:<product>``)."""
    from models.plan import load_plan

    targets: dict[str, tuple[int | None, bool]] = {}
    try:
        plan = load_plan(get_settings().plan_file)
    except InputError:
        plan = None
    if plan is not None and plan.year == year:
        for goal in plan.targets:
            if goal.measure_name == "insurance_covered" and goal.measure_argument:
                targets[goal.measure_argument] = (goal.target, goal.known)
    rows = []
    with transaction(engine) as session:
        for product, name in INSURANCE_PRODUCTS.items():
            pool = session.execute(select(Programme).where(col(Programme.code) == pool_code(product),
                                                           col(Programme.year) == year)).scalar_one_or_none()
            paid_in = -ledger.balance(session, ledger.accounts_for(pool).of(AccountKind.contributions)) if pool else 0
            target, known = targets.get(product, (None, False))
            rows.append(CoverageRow(product, name, year, covered_people(session, product, year), target, known, paid_in))
    return rows


def fund_pool(product: str, year: int, amount_fen: int, *, reference: str, actor: Actor,
              engine: Engine | None = None) -> int:
    """The federation's own money put into a product's pool of ``year`` (beyond the members'
    contributions), by finance or a supervisor, once per ``reference`` (e.g. the transfer's
    voucher number); the pool's balance available after it."""
    if product not in INSURANCE_PRODUCTS:
        raise InputError("product", "is not a product of the plan")
    if amount_fen <= 0:
        raise InputError("amount", "must be more than zero")
    reference = reference.strip()
    if not reference or len(reference) > 60:
        raise InputError("reference", "is required (the voucher or transfer number), at most 60 characters")
    with transaction(engine) as session:
        who = auth.require_setup(session, actor, frozenset({Role.finance, Role.supervisor}), "funding a pool")
        pool = pool_for(session, product, year)
        accounts = ledger.accounts_for(pool)
        key = f"pool-funding:{pool.code}:{year}:{reference}"
        if session.execute(select(col(LedgerPosting.id)).where(col(LedgerPosting.idempotency_key) == key)).first() is None:
            posting = ledger.post(session, key=key, kind="budget", programme=pool,
                                  lines=[(accounts.funding, -amount_fen), (accounts.available, amount_fen)])
            append_event(session, actor=who, action="insurance_pool_funded", reason=f"{pool.code} {year}: {reference}",
                         payload={"pool": pool.code, "year": year, "amount_fen": amount_fen, "reference": reference,
                                  "posting_id": posting.id})
        return ledger.balance(session, accounts.available)
