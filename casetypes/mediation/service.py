"""Mediation's services: taking an application, the checks, acceptance, sessions, extensions,
the agreement and its marks, failure and referral. Each step is one transaction with its move
and its audit event (``services.cases``).

Rules kept here:
- The case goes to the station of the employer's grassroots union when the policy lists one,
  else to the district committee; the worker need not be a member (a member number, when given,
  must be the member whose ID the worker gives).
- One open case per worker and employer: the same application twice is refused by field.
- A person acts for a case only in its own mediation body, or from the district.
- The mediator assigned is an active mediator of the case's body; the employer's consent is
  recorded at acceptance, which needs it.
- An extension needs both parties' consent, stays within the policy's limit and is agreed before
  the period ends; it moves the clock's last day.
- The agreement takes effect with its four marks (art. 14); the last mark recorded moves the case.
- A failure, or the clock, refers the case to arbitration; the worker's notice states the day by
  which they may still apply (art. 27 para. 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from casetypes.mediation import rules
from casetypes.mediation.form import AgreementTerms, MediationApplication
from casetypes.mediation.policy import MediationPolicy, MediationVersion, load_mediation_policy
from models.cases import Case, VerificationRecord
from models.clocks import Deadline, DeadlineState
from models.enums import CaseStatus, CaseType, MembershipStatus, Role, UnitLevel
from models.errors import ConflictError, InputError, NotFound, RuleViolation
from models.identifiers import mask_bank_card
from models.identity import Actor, Verified
from models.mediation import AgreementPayment, Employer, MediationAgreement, MediationDetail, MediationSession
from models.members import Member
from models.money import format_fen, parse_yuan
from models.org import Staff, Unit
from models.time import utcnow
from models.transitions import SYSTEM_ACTOR
from services import auth, pii
from services.audit import append_event
from services.cases import apply_transition, create_case, load_case
from services.db import transaction
from services.intake import refuse_unknown_recorder
from services.masking import mask_text
from services.settings import get_settings

OPEN = (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.needs_information, CaseStatus.awaiting_approval,
        CaseStatus.accepted, CaseStatus.in_mediation)


def current_policy() -> MediationPolicy:
    return load_mediation_policy(get_settings().mediation_policy_file)


def today() -> date:
    return utcnow().astimezone(get_settings().zone).date()


def _detail(session: Session, case: Case) -> MediationDetail:
    detail = session.get(MediationDetail, case.id)
    if detail is None:
        raise NotFound(f"case {case.case_number} is not a mediation case")
    return detail


def _version(detail: MediationDetail) -> MediationVersion:
    return current_policy().version_on(detail.received_on)


# --- intake ------------------------------------------------------------------------------------


def intake_mediation(form: MediationApplication, submitted_by: Actor, engine: Engine | None = None) -> str:
    """Store one application as a case of the body that mediates for its employer."""
    received_on = form.received_on or today()
    if received_on > today():
        raise InputError("received_on", "is in the future: give the day the application was received")
    version = current_policy().version_on(received_on)
    id_hash = pii.hash_identifier(form.worker.resident_id)
    with transaction(engine) as session:
        member = _worker_member(session, form, id_hash)
        if form.oral_record is not None:
            refuse_unknown_recorder(session, form.oral_record.recorded_by.strip())
        employer = session.execute(select(Employer).where(col(Employer.uscc) == form.employer.uscc)).scalar_one_or_none()
        union = session.get(Unit, employer.union_unit_id) if employer and employer.union_unit_id else None
        body = version.body_for(union.code if union else None)
        _refuse_duplicate(session, id_hash, form.employer.uscc)
        amounts = [parse_yuan(c.amount_yuan, f"claims.{i}.amount_yuan") if c.amount_yuan is not None else None
                   for i, c in enumerate(form.claims)]
        claims = [{"kind": c.kind.value, "amount_fen": amount, "description": mask_text(c.description.strip())}
                  for c, amount in zip(form.claims, amounts, strict=True)]
        detail = MediationDetail(  # type: ignore[call-arg]  # case_id is set by create_case
            worker_name=pii.encrypt(form.worker.name.strip()), worker_id_hash=id_hash,
            worker_id=pii.encrypt(form.worker.resident_id), worker_member_id=member.id if member else None,
            worker_bank_account_enc=pii.encrypt(form.worker.bank_card) if form.worker.bank_card else None,
            worker_bank_account_masked=mask_bank_card(form.worker.bank_card) if form.worker.bank_card else None,
            employer_uscc=form.employer.uscc, employer_name=form.employer.name.strip(),
            employer_address=mask_text(form.employer.address.strip()), employer_district=form.employer.district,
            relationship=form.relationship.value, dispute_type=form.dispute_type.value, claims=claims,
            knew_on=form.knew_on, employed_from=form.employed_from, employed_until=form.employed_until,
            worker_consent=form.worker_consents, before_tribunal=form.before_tribunal.value, received_on=received_on,
            matter=pii.seal_text(form.matter.strip()), oral_application=form.oral_application,
            oral_record=pii.seal_text(json.dumps(form.oral_record.model_dump(mode="json"), ensure_ascii=False))
            if form.oral_record else None, policy_version=version.version)
        active = member is not None and member.status == MembershipStatus.active
        case = create_case(session, case_type=CaseType.mediation, category=form.dispute_type.value,
                           applicant_member_number=member.member_number if active and member else None,
                           requested_fen=sum(a or 0 for a in amounts), submitted_by=submitted_by,
                           details=detail, unit=body, received_on=received_on, local_year=received_on.year,
                           reason="oral application recorded (art. 12)" if form.oral_application
                           else "written application")
        return case.case_number


def _worker_member(session: Session, form: MediationApplication, id_hash: str) -> Member | None:
    number = (form.worker.member_number or "").strip()
    if not number:
        return None
    member = session.execute(select(Member).where(col(Member.member_number) == number)).scalar_one_or_none()
    if member is None:
        raise InputError("worker.member_number", "is not a registered member; leave it empty for a worker who "
                                                 "is not a member")
    if member.resident_id_hash != id_hash:
        raise InputError("worker.resident_id", "does not match the ID registered for this member")
    return member


def _refuse_duplicate(session: Session, id_hash: str, employer_uscc: str) -> None:
    earlier = session.execute(
        select(col(Case.case_number)).join(MediationDetail, col(MediationDetail.case_id) == Case.id)
        .where(col(MediationDetail.worker_id_hash) == id_hash, col(MediationDetail.employer_uscc) == employer_uscc,
               col(Case.status).in_(OPEN))).scalars().first()
    if earlier is not None:
        raise InputError("worker", f"has an open mediation case against this employer already ({earlier})")


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    status: str
    passed: bool
    markdown: str


def checks_of(detail: MediationDetail, version: MediationVersion) -> list[rules.Check]:
    unpaid = detail.dispute_type == rules.DisputeType.unpaid_wages.value
    return [
        rules.in_scope(rules.Relationship(detail.relationship), detail.employed_from, detail.employed_until),
        rules.within_limitation(detail.knew_on, detail.received_on, unpaid_wages=unpaid,
                                employed_until=detail.employed_until),
        rules.within_jurisdiction(detail.employer_district, version.jurisdiction),
        rules.not_before_tribunal(rules.Tribunal(detail.before_tribunal)),
        rules.worker_consents(detail.worker_consent),
    ]


def verify_mediation(case_number: str, engine: Engine | None = None) -> CheckOutcome:
    """Run the checks and record them. All pass: the case waits for the body to accept it. Only
    the worker's consent missing: it waits for that. Any other fails: it waits for the body to
    decline it in writing (it cannot be accepted)."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        policy = current_policy()
        version = policy.version_on(detail.received_on)
        checks = checks_of(detail, version)
        passed = all(c.passed for c in checks)
        session.add(VerificationRecord(case_id=case.id, policy_version=version.version,  # type: ignore[arg-type]
                                       policy_fingerprint=policy.fingerprint, passed=passed,
                                       results=[{"rule": c.rule, "passed": c.passed, "reason": c.detail}
                                                for c in checks], missing_documents=[]))
        if case.status == CaseStatus.submitted:
            apply_transition(session, case, CaseStatus.verifying, actor=SYSTEM_ACTOR, reason="checks started")
        failed = [c for c in checks if not c.passed]
        if case.status == CaseStatus.verifying:
            if [c.rule for c in failed] == ["worker_consent"]:
                apply_transition(session, case, CaseStatus.needs_information, actor=SYSTEM_ACTOR,
                                 reason="the worker's consent to mediation is not recorded")
            else:
                apply_transition(session, case, CaseStatus.awaiting_approval, actor=SYSTEM_ACTOR,
                                 reason="checks passed: waiting for acceptance" if passed else
                                 "checks failed: " + "; ".join(c.detail for c in failed) + " — decline it in writing")
        return CheckOutcome(case.status.value, passed, _report(case, version, checks))


def _report(case: Case, version: MediationVersion, checks: list[rules.Check]) -> str:
    lines = [f"# Checks of {case.case_number}", "", f"mediation policy {version.version}; status {case.status.value}",
             "", "| check | result | why |", "| --- | --- | --- |"]
    lines += [f"| {c.rule} | {'pass' if c.passed else 'FAIL'} | {c.detail} |" for c in checks]
    return "\n".join(lines) + "\n"


def checks_passed(session: Session, case: Case) -> str | None:
    """Guard ``mediation_checks_passed``: the latest checks of the case passed."""
    latest = session.execute(select(VerificationRecord).where(col(VerificationRecord.case_id) == case.id)
                             .order_by(col(VerificationRecord.id).desc())).scalars().first()
    if latest is None:
        return f"case {case.case_number} has not been checked yet"
    if not latest.passed:
        failed = "; ".join(r["reason"] for r in latest.results if not r["passed"])
        return f"case {case.case_number} failed its checks ({failed}): decline it in writing"
    return None


# --- who acts ------------------------------------------------------------------------------------


def of_body(session: Session, staff: Staff, case: Case, doing: str) -> None:
    unit = session.get(Unit, staff.unit_id)
    if staff.unit_id != case.unit_id and (unit is None or unit.level != UnitLevel.district):
        raise RuleViolation(f"{doing} is done by the case's own mediation body; {staff.staff_number} is not of it")


def _acting(session: Session, by: Actor, roles: frozenset[Role], case: Case, doing: str) -> tuple[Staff, Verified]:
    staff, who = auth.require_role(session, by, roles, doing)
    of_body(session, staff, case, doing)
    return staff, who


def _mediator(session: Session, number: str, case: Case) -> Staff:
    staff = session.execute(select(Staff).where(col(Staff.staff_number) == number.strip())).scalar_one_or_none()
    if staff is None or not staff.active or Role.mediator not in staff.role_set:
        raise InputError("mediator", "must be the staff number of an active mediator")
    if staff.unit_id != case.unit_id:
        raise InputError("mediator", "must be a mediator of the body the case is with")
    return staff


# --- acceptance --------------------------------------------------------------------------------


def accept_case(case_number: str, *, by: Actor, mediator: str, employer_consents: bool,
                expected_version: int | None = None, engine: Engine | None = None) -> Case:
    """The body accepts the case and assigns its mediator; the employer's consent is recorded."""
    if not employer_consents:
        raise InputError("employer_consents", "mediation needs the employer's consent: without it, decline the "
                                              "case in writing and tell the worker they may go to arbitration")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.mediator, Role.approver}), case, "accepting a case")
        assigned = _mediator(session, mediator, case)

        def effects(session: Session, case: Case) -> None:
            detail.mediator_staff_id = assigned.id
            detail.employer_consent = True
            session.add(detail)

        return apply_transition(session, case, CaseStatus.accepted, actor=who, expected_version=expected_version,
                                reason=f"accepted; mediator {assigned.staff_number}; the employer consents",
                                payload={"mediator": assigned.staff_number, "employer_consent": True},
                                effects=effects)


def decline_case(case_number: str, *, by: Actor, reason: str, expected_version: int | None = None,
                 engine: Engine | None = None) -> Case:
    """The body declines in writing, with its reason (stored encrypted; the trail has it masked)."""
    if len(reason.strip()) < 2:
        raise InputError("reason", "is required: the written reason the worker is given")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.mediator, Role.approver}), case, "declining a case")

        def effects(session: Session, case: Case) -> None:
            detail.decision_reason = pii.seal_text(reason.strip())
            session.add(detail)

        return apply_transition(session, case, CaseStatus.rejected, actor=who, expected_version=expected_version,
                                reason=mask_text(reason.strip()), effects=effects)


def record_consent(case_number: str, *, by: Actor, engine: Engine | None = None) -> Case:
    """The worker's consent, given after intake: the case is checked again."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.caseworker, Role.mediator}), case, "recording consent")
        if case.status != CaseStatus.needs_information:
            raise RuleViolation(f"case {case_number} is {case.status.value}: it is not waiting for the worker's consent")

        def effects(session: Session, case: Case) -> None:
            detail.worker_consent = True
            session.add(detail)

        return apply_transition(session, case, CaseStatus.verifying, actor=who,
                                reason="the worker consents to mediation", effects=effects)


# --- sessions and extensions --------------------------------------------------------------------


def record_session(case_number: str, *, by: Actor, held_on: date, attendees: str, summary: str, next_step: str,
                   engine: Engine | None = None) -> int:
    """A session held; the first one opens mediation. Returns the session's number."""
    for field, value, least in (("attendees", attendees, 2), ("summary", summary, 2), ("next_step", next_step, 1)):
        if len(value.strip()) < least:
            raise InputError(field, "is required")
    if len(next_step.strip()) > 200:
        raise InputError("next_step", "must be at most 200 characters")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        staff, who = _acting(session, by, frozenset({Role.mediator}), case, "recording a session")
        if case.status not in (CaseStatus.accepted, CaseStatus.in_mediation):
            raise RuleViolation(f"case {case_number} is {case.status.value}: sessions are held once it is accepted "
                                "and until mediation ends")
        if held_on < detail.received_on or held_on > today():
            raise InputError("held_on", "must be between the day the application was received and today")
        seq = (session.execute(select(func.max(MediationSession.seq)).where(col(MediationSession.case_id) == case.id))
               .scalar_one() or 0) + 1
        session.add(MediationSession(case_id=case.id, seq=seq, held_on=held_on,  # type: ignore[arg-type]
                                     attendees=pii.seal_text(attendees.strip()), summary=pii.seal_text(summary.strip()),
                                     next_step=mask_text(next_step.strip()), recorded_by_staff_id=staff.id))  # type: ignore[arg-type]
        append_event(session, actor=who, action="mediation_session", case_id=case.id, case_number=case_number,
                     payload={"seq": seq, "held_on": held_on.isoformat()})
        if case.status == CaseStatus.accepted:
            apply_transition(session, case, CaseStatus.in_mediation, actor=who, reason=f"session {seq} held")
        return seq


def extend_mediation(case_number: str, *, by: Actor, days: int, worker_agreed_on: date, employer_agreed_on: date,
                     engine: Engine | None = None) -> date:
    """Both parties agree to more time: the mediation clock's last day moves. Returns it."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.mediator}), case, "extending mediation")
        if case.status not in (CaseStatus.accepted, CaseStatus.in_mediation):
            raise RuleViolation(f"case {case_number} is {case.status.value}: only mediation under way is extended")
        deadline = session.execute(select(Deadline).where(col(Deadline.case_id) == case.id,
                                                          col(Deadline.kind) == "mediation")).scalar_one()
        now = today()
        for field, agreed in (("worker_agreed_on", worker_agreed_on), ("employer_agreed_on", employer_agreed_on)):
            if agreed < detail.received_on or agreed > now:
                raise InputError(field, "must be between the day the application was received and today")
        refused = rules.extension_refusal(detail.extended_days, days, _version(detail).periods.extension_max_days,
                                          deadline.due_on, max(worker_agreed_on, employer_agreed_on))
        if refused:
            raise InputError(*refused)
        if deadline.state != DeadlineState.open:
            raise RuleViolation(f"the mediation clock of {case_number} is {deadline.state.value}: it is not extended")
        detail.extended_days += days
        deadline.due_on = rules.mediation_due(detail.received_on, detail.extended_days)
        deadline.basis = f"15 days from the day after receipt, extended by {detail.extended_days} with both parties' consent"
        session.add_all([detail, deadline])
        append_event(session, actor=who, action="mediation_extended", case_id=case.id, case_number=case_number,
                     reason=f"both parties agree to {days} more days",
                     payload={"days": days, "extended_days": detail.extended_days, "due_on": deadline.due_on.isoformat(),
                              "worker_agreed_on": worker_agreed_on.isoformat(),
                              "employer_agreed_on": employer_agreed_on.isoformat()})
        return deadline.due_on


# --- the agreement -----------------------------------------------------------------------------


def draft_agreement(case_number: str, terms: AgreementTerms, *, by: Actor, engine: Engine | None = None) -> None:
    """The terms the parties agree; drafted again, they replace the draft while nobody has signed."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        staff, who = _acting(session, by, frozenset({Role.mediator}), case, "drafting an agreement")
        if case.status != CaseStatus.in_mediation:
            raise RuleViolation(f"case {case_number} is {case.status.value}: an agreement is drafted in mediation")
        stored = terms.stored()
        agreement = session.get(MediationAgreement, case.id)
        if agreement is not None and _marks(agreement) != rules.Marks(False, False, False, False):
            raise ConflictError(f"the agreement of {case_number} has been signed already: its terms stay as signed")
        if agreement is None:
            agreement = MediationAgreement(case_id=case.id, terms=stored, drafted_by_staff_id=staff.id)  # type: ignore[arg-type]
        else:
            agreement.terms, agreement.drafted_by_staff_id, agreement.drafted_at = stored, staff.id, utcnow()  # type: ignore[assignment]
        session.add(agreement)
        append_event(session, actor=who, action="agreement_drafted", case_id=case.id, case_number=case_number,
                     payload={"payments": len(stored["payments"]),
                              "total_fen": sum(p["amount_fen"] for p in stored["payments"])})


def _marks(agreement: MediationAgreement) -> rules.Marks:
    return rules.Marks(agreement.worker_signed_on is not None, agreement.employer_signed_on is not None,
                       agreement.mediator_signed_on is not None, agreement.seal_recorded_on is not None)


MARKS = ("worker", "employer", "mediator", "seal")


def sign_agreement(case_number: str, mark: str, *, on: date, by: Actor, engine: Engine | None = None) -> list[str]:
    """Record one mark of the agreement (the worker's or the employer's signature, the mediator's
    signature, the body's seal), witnessed by a mediator of the body. Once the four are there the
    agreement is effective and the case moves to ``agreement_reached`` in the same transaction.
    Returns what is still missing."""
    if mark not in MARKS:
        raise InputError("mark", "is one of " + ", ".join(MARKS))
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        staff, who = _acting(session, by, frozenset({Role.mediator}), case, "recording a signature")
        agreement = session.get(MediationAgreement, case.id)
        if case.status != CaseStatus.in_mediation or agreement is None:
            raise RuleViolation(f"case {case_number} has no agreement being signed")
        if on < agreement.drafted_at.astimezone(get_settings().zone).date() or on > today():
            raise InputError("on", "must be between the day the agreement was drafted and today")
        if mark == "worker":
            agreement.worker_signed_on = on
        elif mark == "employer":
            agreement.employer_signed_on = on
        elif mark == "mediator":
            if staff.id != detail.mediator_staff_id:
                raise RuleViolation(f"the mediator of {case_number} signs the agreement; {staff.staff_number} is not")
            agreement.mediator_signed_on, agreement.mediator_staff_id = on, staff.id
        else:
            agreement.seal_recorded_on, agreement.seal_recorded_by_staff_id = on, staff.id
        session.add(agreement)
        session.flush()
        append_event(session, actor=who, action="agreement_marked", case_id=case.id, case_number=case_number,
                     payload={"mark": mark, "on": on.isoformat()})
        missing = rules.missing_marks(_marks(agreement))
        if not missing:
            detail.ended_on = on
            session.add(detail)
            apply_transition(session, case, CaseStatus.agreement_reached, actor=who,
                             reason="the agreement is signed by both parties and the mediator and sealed (art. 14)",
                             effects=lambda session, case: _open_payments(session, case, agreement))
        return missing


def _open_payments(session: Session, case: Case, agreement: MediationAgreement) -> None:
    """The employer's payments under the effective agreement, each with a clock on its day (the
    daily deadlines run reports it overdue, naming the worker's right to a payment order)."""
    for seq, payment in enumerate(agreement.terms.get("payments", []), start=1):
        kind = rules.ClaimKind(payment["kind"])
        due = date.fromisoformat(payment["due_on"])
        session.add(AgreementPayment(case_id=case.id, seq=seq, kind=kind.value,  # type: ignore[arg-type]
                                     amount_fen=payment["amount_fen"], due_on=due))
        order = "; unpaid, the worker may apply to a court for a payment order (art. 16)" \
            if rules.payment_order_open({kind}) else ""
        session.add(Deadline(case_id=case.id, kind=f"payment-{seq}", started_on=today(), due_on=due,  # type: ignore[arg-type]
                             basis=f"payment {seq} of the agreement, {format_fen(payment['amount_fen'])}{order}",
                             state=DeadlineState.open, started_at=utcnow()))


def record_employer_payment(case_number: str, seq: int, *, amount_fen: int, paid_on: date, by: Actor,
                            engine: Engine | None = None) -> int:
    """What the employer paid the worker against payment ``seq`` of the agreement (the worker's
    word or a transfer slip, recorded by the body). Paid in full, its clock is met; every payment
    paid, the agreement is fulfilled and the case closes. Returns what is still owed on it."""
    if amount_fen <= 0:
        raise InputError("amount", "must be more than zero")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        _, who = _acting(session, by, frozenset({Role.mediator, Role.caseworker}), case, "recording a payment")
        if case.status != CaseStatus.agreement_reached:
            raise RuleViolation(f"case {case_number} is {case.status.value}: payments are recorded under an "
                                "effective agreement")
        payment = session.execute(select(AgreementPayment).where(col(AgreementPayment.case_id) == case.id,
                                                                 col(AgreementPayment.seq) == seq)
                                  .with_for_update()).scalar_one_or_none()
        if payment is None:
            raise InputError("payment", f"case {case_number} has no payment {seq} under its agreement")
        owed = payment.amount_fen - payment.paid_fen
        if amount_fen > owed:
            raise InputError("amount", f"{format_fen(amount_fen)} is more than the {format_fen(owed)} still owed")
        if paid_on > today():
            raise InputError("paid_on", "is in the future")
        payment.paid_fen += amount_fen
        if payment.paid_fen == payment.amount_fen:
            payment.paid_on = paid_on
            session.execute(update(Deadline).where(col(Deadline.case_id) == case.id,
                                                   col(Deadline.kind) == f"payment-{seq}",
                                                   col(Deadline.state).in_((DeadlineState.open, DeadlineState.breached)))
                            .values(state=DeadlineState.met, met_at=utcnow()).execution_options(synchronize_session=False))
        session.add(payment)
        session.flush()
        append_event(session, actor=who, action="employer_payment_recorded", case_id=case.id, case_number=case_number,
                     payload={"seq": seq, "amount_fen": amount_fen, "paid_on": paid_on.isoformat(),
                              "still_owed_fen": payment.amount_fen - payment.paid_fen})
        unpaid = session.execute(select(func.count()).select_from(AgreementPayment).where(
            col(AgreementPayment.case_id) == case.id, col(AgreementPayment.paid_on).is_(None))).scalar_one()
        if unpaid == 0:
            apply_transition(session, case, CaseStatus.closed, actor=who, reason="the agreement is fulfilled")
        return payment.amount_fen - payment.paid_fen


@dataclass(frozen=True)
class PaymentLine:
    seq: int
    kind: str
    amount_fen: int
    paid_fen: int
    due_on: date
    paid_on: date | None
    overdue: bool
    payment_order: bool  # overdue, and of a kind art. 16 opens a payment order for


def payments_of(session: Session, case: Case) -> list[PaymentLine]:
    rows = session.execute(select(AgreementPayment).where(col(AgreementPayment.case_id) == case.id)
                           .order_by(col(AgreementPayment.seq))).scalars()
    now = today()
    lines = []
    for p in rows:
        overdue = p.paid_on is None and p.due_on < now
        lines.append(PaymentLine(p.seq, p.kind, p.amount_fen, p.paid_fen, p.due_on, p.paid_on, overdue,
                                 overdue and rules.payment_order_open({rules.ClaimKind(p.kind)})))
    return lines


def agreement_effective(session: Session, case: Case) -> str | None:
    """Guard ``agreement_effective``: the case has an agreement with its four marks."""
    agreement = session.get(MediationAgreement, case.id)
    if agreement is None:
        return f"case {case.case_number} has no agreement"
    missing = rules.missing_marks(_marks(agreement))
    return f"the agreement is not effective yet: it lacks {', '.join(missing)} (art. 14)" if missing else None


# --- failure and referral ------------------------------------------------------------------------


def record_failure(case_number: str, *, by: Actor, reason: str, legal_aid: bool = False, ended_on: date | None = None,
                   engine: Engine | None = None) -> date | None:
    """Mediation failed: the case is referred to arbitration (and to legal aid when the worker asks
    for it). Returns the last day the worker may apply for arbitration (None: no limit runs)."""
    if len(reason.strip()) < 2:
        raise InputError("reason", "is required: why mediation failed")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.mediator}), case, "recording a failure")
        ended = ended_on or today()
        if ended < detail.received_on or ended > today():
            raise InputError("ended_on", "must be between the day the application was received and today")
        detail.decision_reason, detail.legal_aid_requested, detail.ended_on = pii.seal_text(reason.strip()), legal_aid, ended
        session.add(detail)
        apply_transition(session, case, CaseStatus.mediation_failed, actor=who, reason=mask_text(reason.strip()))
        apply_transition(session, case, CaseStatus.referred_to_arbitration, actor=who,
                         reason="referred to labour arbitration" + (" and to legal aid" if legal_aid else ""),
                         payload={"legal_aid": legal_aid})
        return arbitration_deadline_of(detail)


def arbitration_deadline_of(detail: MediationDetail, ended_on: date | None = None) -> date | None:
    return rules.arbitration_deadline(ended_on or detail.ended_on or detail.received_on,
                                      unpaid_wages=detail.dispute_type == rules.DisputeType.unpaid_wages.value,
                                      employed_until=detail.employed_until)


# --- what a mediator sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class MediationView:
    """A case as its mediation body sees it: no name, no ID number."""

    case_number: str
    status: CaseStatus
    body: str
    dispute_type: str
    employer: str
    received_on: date
    mediator: str | None
    claimed_fen: int
    acceptance_due: date | None
    mediation_due: date | None
    days_left: int | None
    extended_days: int
    sessions: int
    agreement_missing: tuple[str, ...] | None
    arbitration_by: date | None
    payments: tuple[PaymentLine, ...] = ()

    def lines(self) -> list[str]:
        out = [f"{self.case_number}: {self.status.value}, {self.dispute_type}, at {self.body}",
               f"  employer {self.employer}; received {self.received_on.isoformat()}; "
               f"claimed {format_fen(self.claimed_fen)}; mediator {self.mediator or '—'}"]
        if self.acceptance_due:
            out.append(f"  accept or decline by {self.acceptance_due.isoformat()}")
        if self.mediation_due:
            left = f"{self.days_left} day(s) left" if self.days_left is not None and self.days_left >= 0 else "overdue"
            extended = f", extended by {self.extended_days}" if self.extended_days else ""
            out.append(f"  mediation ends {self.mediation_due.isoformat()} ({left}{extended}); {self.sessions} session(s)")
        if self.agreement_missing is not None:
            out.append("  agreement: " + ("effective" if not self.agreement_missing
                                          else "lacks " + ", ".join(self.agreement_missing)))
        for p in self.payments:
            state = f"paid {p.paid_on.isoformat()}" if p.paid_on else (
                "OVERDUE" + ("; the worker may apply to a court for a payment order (art. 16)" if p.payment_order else "")
                if p.overdue else f"{format_fen(p.paid_fen)} paid so far")
            out.append(f"  payment {p.seq}: {format_fen(p.amount_fen)} {p.kind} by {p.due_on.isoformat()}: {state}")
        if self.arbitration_by:
            out.append(f"  the worker may apply for arbitration until {self.arbitration_by.isoformat()}")
        return out


def mediation_view(case_number: str, engine: Engine | None = None) -> MediationView:
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        unit = session.get(Unit, case.unit_id)
        mediator = session.get(Staff, detail.mediator_staff_id) if detail.mediator_staff_id else None
        open_clocks = {d.kind: d.due_on for d in session.execute(
            select(Deadline).where(col(Deadline.case_id) == case.id, col(Deadline.state) == DeadlineState.open)).scalars()}
        sessions = session.execute(select(func.count()).select_from(MediationSession)
                                   .where(col(MediationSession.case_id) == case.id)).scalar_one()
        agreement = session.get(MediationAgreement, case.id)
        due = open_clocks.get("mediation")
        referred = case.status in (CaseStatus.referred_to_arbitration, CaseStatus.mediation_failed)
        return MediationView(
            case.case_number, case.status, unit.code if unit else "?", detail.dispute_type, detail.employer_name,
            detail.received_on, mediator.staff_number if mediator else None, case.requested_fen,
            open_clocks.get("acceptance"), due, (due - today()).days if due else None, detail.extended_days, sessions,
            tuple(rules.missing_marks(_marks(agreement))) if agreement else None,
            arbitration_deadline_of(detail, ended_by_clock(session, case, detail)) if referred else None,
            tuple(payments_of(session, case)))


def ended_by_clock(session: Session, case: Case, detail: MediationDetail) -> date | None:
    """The day mediation ended: recorded with a failure, else the last day of the breached clock."""
    if detail.ended_on is not None:
        return detail.ended_on
    breached = session.execute(select(col(Deadline.due_on)).where(
        col(Deadline.case_id) == case.id, col(Deadline.kind) == "mediation",
        col(Deadline.state) == DeadlineState.breached)).scalar_one_or_none()
    return breached


# --- employers -----------------------------------------------------------------------------------


def add_employer(uscc_code: str, name: str, district_code: str, union: str | None = None, *, by: Actor,
                 engine: Engine | None = None) -> Employer:
    """An employer the federation knows, with its grassroots union (the case goes to its station)."""
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError as StdnumInvalid

    try:
        code = str(uscc.validate(uscc_code))
    except StdnumInvalid:
        raise InputError("uscc", "is not a valid unified social credit code") from None
    if not (len(district_code) == 6 and district_code.isascii() and district_code.isdigit()):
        raise InputError("district", "must be a 6-digit district code (GB/T 2260)")
    if not 2 <= len(name.strip()) <= 200:
        raise InputError("name", "is required, at most 200 characters")
    with transaction(engine) as session:
        who = auth.require_supervisor(session, by, "adding an employer")
        union_id = None
        if union:
            unit = session.execute(select(Unit).where(col(Unit.code) == union)).scalar_one_or_none()
            if unit is None or unit.level != UnitLevel.grassroots:
                raise InputError("union", "must be the code of a grassroots union")
            union_id = unit.id
        if session.execute(select(Employer).where(col(Employer.uscc) == code)).scalar_one_or_none() is not None:
            raise InputError("uscc", "is the code of an employer on file already")
        employer = Employer(uscc=code, name=name.strip(), district_code=district_code, union_unit_id=union_id)
        session.add(employer)
        session.flush()
        append_event(session, actor=who, action="employer_added",
                     payload={"uscc": code, "district": district_code, "union": union})
        return employer


def record_worker_card(case_number: str, card: str, *, by: Actor, engine: Engine | None = None) -> str:
    """The worker's bank card, given after intake (for a wage advance): checked, stored encrypted,
    audited masked. Returns the masked card."""
    from models.identifiers import normalize_bank_card

    number = normalize_bank_card(card, "bank_card")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        detail = _detail(session, case)
        _, who = _acting(session, by, frozenset({Role.caseworker, Role.mediator}), case, "recording a bank card")
        if case.status not in OPEN + (CaseStatus.agreement_reached,):
            raise RuleViolation(f"case {case_number} is {case.status.value}: its worker's card is no longer needed")
        detail.worker_bank_account_enc, detail.worker_bank_account_masked = pii.encrypt(number), mask_bank_card(number)
        session.add(detail)
        append_event(session, actor=who, action="worker_card_recorded", case_id=case.id, case_number=case_number,
                     payload={"card": detail.worker_bank_account_masked})
        return detail.worker_bank_account_masked
