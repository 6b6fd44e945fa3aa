"""Mutual-insurance claims: intake, the checks and the calculation, the review's routing, the
documents that arrive later, and what staff see of a claim.

A claim is a case of the member's union, paid from the pool of the enrolment it claims on. The
check (``check_claim``) runs every rule of ``rules``, calculates the benefit with its explanation
(``benefit``) and routes the claim, in one transaction with its audit event:

- documents missing (and nothing else wrong) → ``needs_information``, naming them; continued by
  ``add_documents`` when they arrive;
- a rule fails → ``rejected`` with that rule's reason code;
- calculated at most the review's automatic limit and not drawn for the sample → ``approved`` by
  the system (reserved from the pool, its payment opened), else → ``awaiting_approval`` for a
  reviewer (the approval form shows the explanation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from casetypes.insurance import rules
from casetypes.insurance.benefit import Calculation, Facts, calculate, yuan
from casetypes.insurance.enrolment import current_products, pool_for
from casetypes.insurance.form import InsuranceClaimForm
from casetypes.insurance.products import Beneficiary as PaidTo
from casetypes.insurance.products import InsuranceVersion, Product
from models.cases import Case, Programme
from models.enums import CaseStatus, CaseType, Role
from models.errors import InputError, NotFound, RuleViolation
from models.identifiers import mask_bank_card
from models.identity import SYSTEM_ACTOR, Actor
from models.insurance import InsuranceClaim, InsuranceEnrolment
from models.members import Member
from models.money import format_fen, parse_yuan
from models.obligations import Direction, Obligation, Party
from models.policy import ApprovalThresholds, Document
from models.time import utcnow
from services import auth, ledger, obligations, pii
from services.audit import append_event
from services.cases import apply_transition, create_case, load_case
from services.db import transaction
from services.obligations import Planned
from services.payouts import Payee
from services.settings import get_settings

INSURANCE = CaseType.insurance
LIVE = (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.needs_information, CaseStatus.awaiting_approval,
        CaseStatus.approved, CaseStatus.payout_pending, CaseStatus.paid, CaseStatus.closed)
PAID_OR_DECIDED = (CaseStatus.approved, CaseStatus.payout_pending, CaseStatus.paid, CaseStatus.closed)
DOCUMENT_ROLES = frozenset({Role.caseworker, Role.supervisor})


def today() -> date:
    return utcnow().astimezone(get_settings().zone).date()


def _claim(session: Session, case: Case) -> InsuranceClaim:
    claim = session.get(InsuranceClaim, case.id)
    if claim is None:
        raise NotFound(f"case {case.case_number} is not an insurance claim")
    return claim


def enrolment_on(session: Session, member_id: int, product: str, day: date) -> InsuranceEnrolment | None:
    return session.execute(select(InsuranceEnrolment).where(
        col(InsuranceEnrolment.member_id) == member_id, col(InsuranceEnrolment.product) == product,
        col(InsuranceEnrolment.cover_from) <= day, col(InsuranceEnrolment.cover_to) >= day)).scalars().first()


def intake_claim(form: InsuranceClaimForm, submitted_by: Actor, engine: Engine | None = None,
                 *, batch: tuple[int, int] | None = None) -> str:
    """Store one claim as a case of the member's union; it is checked next. ``batch``: the batch
    id and row it comes from."""
    received_on = form.received_on or today()
    if received_on > today():
        raise InputError("received_on", "is in the future: give the day the claim was received")
    if form.event_date > received_on:
        raise InputError("event_date", "is after the day the claim was received")
    notified_on = form.notified_on or received_on
    products = current_products()
    review = products.version_on(received_on, "received_on")
    claimed = parse_yuan(form.claimed_yuan, "claimed_yuan")
    expenses = parse_yuan(form.expenses_yuan, "expenses_yuan") if form.expenses_yuan is not None else 0
    benefit = (form.benefit or "").strip() or None
    with transaction(engine) as session:
        member = session.execute(select(Member).where(col(Member.member_number) == form.member_number.strip())
                                 ).scalar_one_or_none()
        if member is None:
            raise InputError("member_number", "is not a known member")
        enrolment = enrolment_on(session, member.id, form.product, form.event_date)
        terms = products.version(enrolment.product_version).product(form.product) if enrolment else None
        if benefit is not None and terms is not None and benefit not in terms.fixed_fen:
            raise InputError("benefit", f"is not a benefit of the product; its benefits are "
                                        f"{', '.join(terms.benefits) or 'none (a stay or expenses only)'}")
        if terms is not None and terms.beneficiary == PaidTo.named and form.beneficiary is None:
            raise InputError("beneficiary", "is required: the product pays the beneficiary the claim names")
        pool = session.get_one(Programme, enrolment.programme_id) if enrolment else \
            pool_for(session, form.product, form.event_date.year)
        claim = InsuranceClaim(  # type: ignore[call-arg]  # case_id is set by create_case
            enrolment_id=enrolment.id if enrolment else None, member_id=member.id, product=form.product,
            product_version=enrolment.product_version if enrolment else None, review_version=review.version,
            event_date=form.event_date, notified_on=notified_on, received_on=received_on, benefit=benefit,
            hospital_days=form.hospital_days, expenses_fen=expenses, claimed_fen=claimed,
            diagnosis=pii.encrypt(form.diagnosis), invoices=pii.encrypt(form.invoices) if form.invoices else None,
            documents=sorted({d.value for d in form.documents}),
            beneficiary_name=pii.encrypt(f"{form.beneficiary.name.strip()}\x1f{form.beneficiary.relation.strip()}")
            if form.beneficiary else None,
            beneficiary_account_enc=pii.encrypt(form.beneficiary.bank_card) if form.beneficiary else None,
            beneficiary_account_masked=mask_bank_card(form.beneficiary.bank_card) if form.beneficiary else None,
            review_seed=secrets.token_hex(16), batch_id=batch[0] if batch else None, batch_row=batch[1] if batch else None)
        case = create_case(session, case_type=INSURANCE, category=form.product,
                           applicant_member_number=member.member_number, requested_fen=claimed,
                           submitted_by=submitted_by, details=claim, received_on=received_on,
                           local_year=received_on.year, reason="claim received")
        case.programme_id = pool.id
        session.add(case)
        return case.case_number


# --- the check -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    status: str
    markdown: str


def draw(seed: str, case_number: str) -> int:
    """The claim's draw for the sample, 0–9999, from the seed stored with it: anyone can draw it again."""
    return int(hashlib.sha256(f"{seed}:{case_number}".encode()).hexdigest()[:8], 16) % 10_000


def paid_in_year(session: Session, claim: InsuranceClaim, case: Case) -> int:
    """What the member has had approved or paid from the product in the event's year, this claim aside."""
    start, end = date(claim.event_date.year, 1, 1), date(claim.event_date.year, 12, 31)
    total = session.execute(select(func.coalesce(func.sum(Case.approved_fen), 0)).join(
        InsuranceClaim, col(InsuranceClaim.case_id) == Case.id).where(
        col(InsuranceClaim.member_id) == claim.member_id, col(InsuranceClaim.product) == claim.product,
        col(InsuranceClaim.event_date) >= start, col(InsuranceClaim.event_date) <= end,
        col(Case.status).in_(PAID_OR_DECIDED), col(Case.id) != case.id)).scalar_one()
    return int(total)


def _others(session: Session, claim: InsuranceClaim, case: Case, *, statuses: tuple[CaseStatus, ...],
            same_event: bool) -> list[str]:
    query = select(col(Case.case_number)).join(InsuranceClaim, col(InsuranceClaim.case_id) == Case.id).where(
        col(InsuranceClaim.member_id) == claim.member_id, col(InsuranceClaim.product) == claim.product,
        col(Case.status).in_(statuses), col(Case.id) != case.id)
    if same_event:
        query = query.where(col(InsuranceClaim.event_date) == claim.event_date)
    else:
        query = query.where(col(InsuranceClaim.enrolment_id) == claim.enrolment_id)
    return list(session.execute(query.order_by(col(Case.id))).scalars())


def assess(session: Session, case: Case, claim: InsuranceClaim) -> tuple[list[rules.Check], Calculation | None, list[Document]]:
    """Every rule, the calculation and the missing documents of the claim as stored now."""
    products = current_products()
    enrolment = session.get(InsuranceEnrolment, claim.enrolment_id) if claim.enrolment_id else None
    member = session.get(Member, claim.member_id)
    assert member is not None
    checks = [rules.covered(enrolment.cover_from if enrolment else None, enrolment.cover_to if enrolment else None,
                            claim.event_date)]
    if enrolment is None:
        return checks, None, []
    terms: Product = products.version(enrolment.product_version).product(claim.product)
    day = rules.day_of_cover(enrolment.cover_from, claim.event_date)
    used = paid_in_year(session, claim, case)
    checks += [rules.age_allowed(member.birth_date, enrolment.cover_from, terms), rules.past_waiting(day, terms),
               rules.notified_in_time(claim.event_date, claim.notified_on, terms),
               rules.claimed_in_time(claim.event_date, claim.received_on, terms),
               rules.not_duplicate(_others(session, claim, case, statuses=LIVE, same_event=True)),
               rules.cover_not_ended(terms, _others(session, claim, case, statuses=PAID_OR_DECIDED, same_event=False)),
               rules.cap_remaining(terms, used)]
    calculation = calculate(terms, Facts(shares=enrolment.shares, day_of_cover=day, benefit=claim.benefit,
                                         hospital_days=claim.hospital_days, expenses_fen=claim.expenses_fen),
                            paid_this_year_fen=used)
    if all(c.passed for c in checks):
        checks.append(rules.pays_something(calculation.amount_fen))
    return checks, calculation, rules.missing_documents(terms, set(claim.documents))


def route(version: InsuranceVersion, amount_fen: int, draw_value: int) -> str:
    """``automatic``, ``sampled`` or ``above_limit``: how a claim that passes is reviewed."""
    if amount_fen > version.review.auto_approve_up_to_fen:
        return "above_limit"
    return "sampled" if draw_value < version.review.sample_percent * 100 else "automatic"


def check_claim(case_number: str, engine: Engine | None = None) -> CheckOutcome:
    """Check, calculate and route the claim (see the module's docstring)."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        claim = _claim(session, case)
        if case.status not in (CaseStatus.submitted, CaseStatus.verifying):
            return CheckOutcome(case.status.value, report(case, claim, [], None, []))
        if case.status == CaseStatus.submitted:
            apply_transition(session, case, CaseStatus.verifying, actor=SYSTEM_ACTOR, reason="checks started")
        checks, calculation, missing = assess(session, case, claim)
        failed = [c for c in checks if not c.passed]
        if calculation is not None:
            claim.calculated_fen = calculation.amount_fen
            claim.explanation = calculation.explanation
        claim.review_draw = draw(claim.review_seed, case_number)
        session.add(claim)
        if failed:
            claim.rejection_code = failed[0].rule
            apply_transition(session, case, CaseStatus.rejected, actor=SYSTEM_ACTOR,
                             reason=f"{failed[0].rule}: {failed[0].detail}",
                             payload={"rejection_code": failed[0].rule, "calculated_fen": claim.calculated_fen})
        elif missing:
            apply_transition(session, case, CaseStatus.needs_information, actor=SYSTEM_ACTOR,
                             reason="missing documents: " + ", ".join(d.value for d in missing))
        else:
            assert calculation is not None
            _route(session, case, claim, calculation)
        return CheckOutcome(case.status.value, report(case, claim, checks, calculation, missing))


def _route(session: Session, case: Case, claim: InsuranceClaim, calculation: Calculation) -> None:
    version = current_products().version(claim.review_version)
    claim.review = route(version, calculation.amount_fen, claim.review_draw or 0)
    amount = calculation.amount_fen
    if claim.review == "automatic":
        def record(s: Session, c: Case) -> None:
            ledger.reserve(s, c, amount, key=f"reserve:{c.case_number}:v{c.version}")
            c.approved_fen = amount
            s.add(c)
            obligations.open_plan(s, c, actor=SYSTEM_ACTOR)

        pool = ledger.lock_programme(session, case.programme_id)  # type: ignore[arg-type]
        if ledger.balance(session, ledger.accounts_for(pool).available) >= amount:
            case.requested_fen = amount
            apply_transition(session, case, CaseStatus.approved, actor=SYSTEM_ACTOR, effects=record,
                             reason=f"approved automatically: {format_fen(amount)}, at most the automatic "
                                    f"limit of {format_fen(version.review.auto_approve_up_to_fen)}",
                             payload={"approved_fen": amount, "review": claim.review, "seed": claim.review_seed,
                                      "draw": claim.review_draw})
            return
        claim.review = "pool_short"  # the pool cannot pay it now: a person decides
    case.requested_fen = amount
    session.add(claim)
    apply_transition(session, case, CaseStatus.awaiting_approval, actor=SYSTEM_ACTOR,
                     reason=f"to review ({claim.review}): calculated {format_fen(amount)}",
                     payload={"calculated_fen": amount, "review": claim.review, "seed": claim.review_seed,
                              "draw": claim.review_draw})


def report(case: Case, claim: InsuranceClaim, checks: list[rules.Check], calculation: Calculation | None,
           missing: list[Document]) -> str:
    """The check's report as the run's artifact: rules, the calculation, the routing; no personal data."""
    lines = [f"# Claim {case.case_number}", "", f"{claim.product}, event on {claim.event_date.isoformat()}; "
             f"claimed {yuan(claim.claimed_fen)}; status **{case.status.value}**", ""]
    if checks:
        lines += ["| rule | result | why |", "| --- | --- | --- |"]
        lines += [f"| {c.rule} | {'pass' if c.passed else 'FAIL'} | {c.detail} |" for c in checks]
    if missing:
        lines += ["", "Missing documents: " + ", ".join(d.value for d in missing)]
    if calculation is not None:
        lines += ["", "## Calculation", "", calculation.markdown()]
    if claim.review:
        lines += ["", f"Review: {claim.review} (draw {claim.review_draw} of seed {claim.review_seed})"]
    if claim.rejection_code:
        lines += ["", f"Rejected: {claim.rejection_code}"]
    return "\n".join(lines) + "\n"


def add_documents(case_number: str, kinds: list[str], *, actor: Actor, engine: Engine | None = None) -> CaseStatus:
    """Documents received for a claim; a claim waiting for them is checked again."""
    cleaned = sorted({k.strip() for k in kinds if k.strip()})
    if not cleaned:
        raise InputError("documents", "name at least one document kind")
    unknown = [k for k in cleaned if k not in Document.__members__]
    if unknown:
        raise InputError("documents", "names a kind that is not a document kind; the kinds are "
                                      + ", ".join(d.value for d in Document))
    with transaction(engine) as session:
        _, who = auth.require_role(session, actor, DOCUMENT_ROLES, "recording documents")
        case = load_case(session, case_number)
        claim = _claim(session, case)
        if case.status not in (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.needs_information):
            raise RuleViolation(f"case {case_number} is {case.status.value}: documents are added before a decision")
        claim.documents = sorted(set(claim.documents) | set(cleaned))
        session.add(claim)
        append_event(session, actor=who, action="documents_added", case_id=case.id, case_number=case_number,
                     payload={"documents": cleaned})
        if case.status == CaseStatus.needs_information:
            apply_transition(session, case, CaseStatus.verifying, actor=who,
                             reason="documents received: " + ", ".join(cleaned))
        return case.status


# --- the engine's questions ------------------------------------------------------------------------


def thresholds(session: Session, case: Case) -> ApprovalThresholds | None:
    """The product file's approval thresholds, of the version the claim is reviewed under."""
    return current_products().version(_claim(session, case).review_version).approval


def payment_plan(session: Session, case: Case) -> list[Planned]:
    """The approved benefit to the member, or to the beneficiary the claim names where the product pays one."""
    claim = _claim(session, case)
    assert case.approved_fen
    member = session.get(Member, claim.member_id)
    assert member is not None
    if claim.beneficiary_account_enc:
        return [Planned(Direction.outgoing, Party.beneficiary, case.case_number, "insurance benefit", case.approved_fen)]
    return [Planned(Direction.outgoing, Party.member, member.member_number, "insurance benefit", case.approved_fen)]


def beneficiary_payee(session: Session, case: Case, obligation: Obligation) -> Payee | None:
    """The beneficiary a claim names (``Party.beneficiary``, by the claim's case number)."""
    named = session.execute(select(Case).where(col(Case.case_number) == obligation.party_ref)).scalar_one_or_none()
    claim = session.get(InsuranceClaim, named.id) if named is not None else None
    if claim is None or not claim.beneficiary_account_enc or not claim.beneficiary_name:
        return None
    return Payee(pii.decrypt(claim.beneficiary_name).split("\x1f")[0], claim.beneficiary_account_enc,
                 claim.beneficiary_account_masked or "")


@dataclass(frozen=True)
class ClaimView:
    case_number: str
    status: str
    product: str
    product_version: str | None
    event_date: date
    claimed_fen: int
    calculated_fen: int | None
    approved_fen: int | None
    explanation: list[str]
    review: str | None
    review_draw: int | None
    review_seed: str
    rejection_code: str | None
    documents: list[str]
    diagnosis: str | None  # only for the roles that may see it


def claim_view(case_number: str, *, actor: Actor, engine: Engine | None = None) -> ClaimView:
    """A claim as staff see it; the diagnosis to caseworkers, approvers and supervisors only, each
    such read audited."""
    with transaction(engine) as session:
        staff, who = auth.require_role(session, actor, frozenset(Role), "reading a claim")
        case = load_case(session, case_number)
        claim = _claim(session, case)
        sees = bool(staff.role_set & {Role.caseworker, Role.approver, Role.supervisor})
        diagnosis = None
        if sees:
            diagnosis = pii.decrypt(claim.diagnosis)
            append_event(session, actor=who, action="claim_health_data_read", case_id=case.id, case_number=case_number)
        return ClaimView(case.case_number, case.status.value, claim.product, claim.product_version, claim.event_date,
                         claim.claimed_fen, claim.calculated_fen, case.approved_fen,
                         [f"{line['rule']}: {line['figures']}" for line in claim.explanation], claim.review,
                         claim.review_draw, claim.review_seed, claim.rejection_code, list(claim.documents), diagnosis)


def reject_claim(case_number: str, *, code: str, reason: str, approver: Actor | object,
                 expected_version: int | None = None, engine: Engine | None = None) -> Case:
    """A reviewer rejects a claim with a reason code of the product file and words for the member;
    the code is stored with the claim in the rejection's transaction."""
    from casetypes.approval import ApprovalDecision, claim_of
    from services import approvals

    who = claim_of(approver) if isinstance(approver, ApprovalDecision) else approver
    with transaction(engine) as session:
        claim = _claim(session, load_case(session, case_number))
        codes = current_products().version(claim.review_version).rejection_codes(claim.product)
    if not code:
        raise InputError("rejection_code", "is required to reject: " + ", ".join(codes))
    if code not in codes:
        raise InputError("rejection_code", "is not a code of the product file; the codes are " + ", ".join(codes))

    def record(s: Session, c: Case) -> None:
        row = _claim(s, c)
        row.rejection_code = code
        s.add(row)

    return approvals.reject_case(case_number, approver=who, reason=reason, expected_version=expected_version,  # type: ignore[arg-type]
                                 engine=engine, effects=record, payload={"rejection_code": code})


def review_summary(case_number: str, engine: Engine | None = None) -> str:
    """What the reviewer's form shows: the claim's figures and its calculation, no personal data."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        claim = _claim(session, case)
        codes = current_products().version(claim.review_version).rejection_codes(claim.product)
        lines = [f"## {case.case_number}: mutual-insurance claim, {claim.product}", "",
                 f"- event on {claim.event_date.isoformat()}, claimed **{format_fen(claim.claimed_fen)}**, calculated "
                 f"**{format_fen(claim.calculated_fen)}** under terms {claim.product_version}",
                 f"- review: {claim.review} (draw {claim.review_draw})", "", "| rule | figures |", "| --- | --- |"]
        lines += [f"| {line['rule']} | {line['figures']} |" for line in claim.explanation]
        lines += ["", "Rejection codes: " + ", ".join(f"`{c}`" for c in codes)]
        return "\n".join(lines)
