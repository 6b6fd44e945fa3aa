"""Union wage advances (工资垫付): for unpaid wages in mediation, the union may advance money to the
worker and recover it from the employer.

An advance is a case of its own (``MA-2026-000001``), linked to its mediation case, on the
engine's shared moves: checked, approved with the approval mechanism and the thresholds of the
mediation policy (``[versions.advance]``), paid through the money path exactly once, then
``paid`` while the employer owes it back (a receivable, due on the day the request names). The
repayment recorded in full closes it; a write-off (an approver, a reason, audited) cancels what
is still owed and closes it too.

Rules kept here: only for an unpaid-wages dispute that is accepted and not over; at most the wages
claimed; one advance per mediation case while one is open or paid; the worker is paid to a
member's account on file, or else to the card given with the application; the repayment day is
after today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from casetypes.mediation import rules
from casetypes.mediation.service import current_policy, of_body, today
from models.cases import Case, Programme, VerificationRecord
from models.enums import CaseStatus, CaseType, Role
from models.errors import InputError, NotFound, RuleViolation
from models.identity import Actor
from models.intake import Yuan, parse_form
from models.ledger import AccountKind
from models.mediation import MediationDetail, WageAdvance
from models.members import Member
from models.money import format_fen, parse_yuan
from models.obligations import Direction, Obligation, ObligationState, Party
from models.org import Unit
from models.policy import ApprovalThresholds
from models.time import utcnow
from services import auth, ledger, obligations, pii
from services.audit import append_event
from services.cases import apply_transition, create_case, load_case
from services.db import transaction
from services.masking import mask_text
from services.obligations import Planned
from services.payouts import Payee

ADVANCE = CaseType.mediation_advance
PROGRAMME = "MD-ADVANCE"  # the wage-advance fund of each year
ADVANCE_FROM = (CaseStatus.accepted, CaseStatus.in_mediation, CaseStatus.agreement_reached)
LIVE = (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.needs_information, CaseStatus.awaiting_approval,
        CaseStatus.approved, CaseStatus.payout_pending, CaseStatus.paid)


class AdvanceRequest(BaseModel):
    """工资垫付申请 A union wage advance for the worker of a mediation case."""

    model_config = ConfigDict(extra="forbid", title="Wage advance 工资垫付申请", hide_input_in_errors=True)

    caseworker: str = Field(title="Requested by (staff number) 经办人工号", min_length=1, max_length=32)
    mediation_case: str = Field(title="Mediation case 调解案号", pattern=r"^[A-Za-z]{2}-\d{4}-\d{6}$")
    amount_yuan: Yuan = Field(title="Amount (yuan) 垫付金额(元)")
    repay_by: date = Field(title="Employer repays by 用人单位归还期限")


def parse_advance(data: Any, row: int | None = None) -> AdvanceRequest:
    return parse_form(AdvanceRequest, data, row)


def advance_schema() -> dict[str, Any]:
    return AdvanceRequest.model_json_schema()


def request_advance(form: AdvanceRequest, submitted_by: Actor, engine: Engine | None = None) -> str:
    """Store the request as an advance case of the mediation body; it is checked and decided next."""
    amount = parse_yuan(form.amount_yuan, "amount_yuan")
    if amount <= 0:
        raise InputError("amount_yuan", "must be more than zero")
    if form.repay_by <= today():
        raise InputError("repay_by", "must be after today")
    with transaction(engine) as session:
        mediation = load_case(session, form.mediation_case.strip().upper())
        detail = session.get(MediationDetail, mediation.id)
        if detail is None:
            raise InputError("mediation_case", "is not a mediation case")
        if detail.dispute_type != rules.DisputeType.unpaid_wages.value:
            raise InputError("mediation_case", "is not a dispute over unpaid wages: only wages are advanced")
        if mediation.status not in ADVANCE_FROM:
            raise InputError("mediation_case", f"is {mediation.status.value}: an advance is made once the case is "
                                               "accepted and before it is over")
        wages = sum(c.get("amount_fen") or 0 for c in detail.claims if c["kind"] == rules.ClaimKind.wages.value)
        if amount > wages:
            raise InputError("amount_yuan", f"{format_fen(amount)} is more than the {format_fen(wages)} of wages claimed")
        member = session.get(Member, detail.worker_member_id) if detail.worker_member_id else None
        if member is not None and not member.bank_account_enc:
            member = None  # a member without an account on file: paid to the card given with the case, if any
        if member is None and not detail.worker_bank_account_enc:
            raise InputError("mediation_case", "the worker has no bank account we can pay: a member's account on "
                                               "file, or the card given with the application (worker.bank_card)")
        earlier = session.execute(select(col(Case.case_number)).join(WageAdvance, col(WageAdvance.case_id) == Case.id)
                                  .where(col(WageAdvance.mediation_case_id) == mediation.id,
                                         col(Case.status).in_(LIVE))).scalars().first()
        if earlier is not None:
            raise InputError("mediation_case", f"has an advance already ({earlier})")
        body = session.get(Unit, mediation.unit_id)
        assert body is not None  # a foreign key
        case = create_case(session, case_type=ADVANCE, category="wage_advance",
                           applicant_member_number=member.member_number if member else None,
                           requested_fen=amount, submitted_by=submitted_by, programme_code=PROGRAMME,
                           details=WageAdvance(mediation_case_id=mediation.id, repay_by=form.repay_by,  # type: ignore[call-arg,arg-type]
                                               employer_uscc=detail.employer_uscc),
                           unit=body.code, local_year=today().year, reason=f"wage advance for {mediation.case_number}")
        return case.case_number


@dataclass(frozen=True)
class AdvanceOutcome:
    status: str
    markdown: str


def verify_advance(case_number: str, engine: Engine | None = None) -> AdvanceOutcome:
    """The request's checks again when it is decided: the mediation case still allows it."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        link = _link(session, case)
        mediation = session.get(Case, link.mediation_case_id)
        assert mediation is not None
        checks = [rules.Check("mediation_under_way", mediation.status in ADVANCE_FROM,
                              f"mediation case {mediation.case_number} is {mediation.status.value}"),
                  rules.Check("repayment_day_ahead", link.repay_by > today(),
                              f"the employer repays by {link.repay_by.isoformat()}")]
        passed = all(c.passed for c in checks)
        session.add(VerificationRecord(case_id=case.id, policy_version=_version_of(session, case), policy_fingerprint="",  # type: ignore[arg-type]
                                       passed=passed, results=[{"rule": c.rule, "passed": c.passed, "reason": c.detail}
                                                               for c in checks], missing_documents=[]))
        if case.status == CaseStatus.submitted:
            apply_transition(session, case, CaseStatus.verifying, actor="system", reason="checks started")
        if case.status == CaseStatus.verifying:
            apply_transition(session, case, CaseStatus.awaiting_approval if passed else CaseStatus.rejected,
                             actor="system", reason="checks passed" if passed else
                             "; ".join(c.detail for c in checks if not c.passed))
        lines = [f"# Checks of {case.case_number}", "", f"wage advance of {format_fen(case.requested_fen)} for "
                 f"{mediation.case_number}; status {case.status.value}", "", "| check | result | why |",
                 "| --- | --- | --- |"] + [f"| {c.rule} | {'pass' if c.passed else 'FAIL'} | {c.detail} |" for c in checks]
        return AdvanceOutcome(case.status.value, "\n".join(lines) + "\n")


def _link(session: Session, case: Case) -> WageAdvance:
    link = session.get(WageAdvance, case.id)
    if link is None:
        raise NotFound(f"case {case.case_number} is not a wage advance")
    return link


def _version_of(session: Session, case: Case) -> str:
    link = _link(session, case)
    detail = session.get(MediationDetail, link.mediation_case_id)
    assert detail is not None
    return current_policy().version_on(detail.received_on).version


def thresholds(session: Session, case: Case) -> ApprovalThresholds | None:
    """The mediation policy's advance thresholds, of the version its mediation case was received under."""
    link = _link(session, case)
    detail = session.get(MediationDetail, link.mediation_case_id)
    assert detail is not None
    return current_policy().version_on(detail.received_on).advance


def payment_plan(session: Session, case: Case) -> list[Planned]:
    """The advance to the worker at once (a member's account on file, or the card given with the
    mediation case), and the employer's repayment by its day."""
    link = _link(session, case)
    assert case.approved_fen
    member = session.get(Member, case.applicant_member_id) if case.applicant_member_id else None
    if member is not None:
        to = Planned(Direction.outgoing, Party.member, member.member_number, "wage advance", case.approved_fen)
    else:
        mediation = session.get(Case, link.mediation_case_id)
        assert mediation is not None  # a foreign key
        to = Planned(Direction.outgoing, Party.worker, mediation.case_number, "wage advance", case.approved_fen)
    return [to,
            Planned(Direction.incoming, Party.employer, link.employer_uscc, "wage advance repaid", case.approved_fen,
                    link.repay_by)]


def _repayment(session: Session, case: Case) -> Obligation:
    found = session.execute(select(Obligation).where(col(Obligation.case_id) == case.id,
                                                     col(Obligation.direction) == Direction.incoming)).scalar_one_or_none()
    if found is None:
        raise RuleViolation(f"case {case.case_number} has not been paid out: nothing is owed back yet")
    return found


def record_repayment(case_number: str, *, amount_fen: int, reference: str, received_on: date, actor: Actor,
                     engine: Engine | None = None) -> int:
    """The employer's repayment, recorded by finance under its transfer reference (once); repaid in
    full, the advance closes. Returns what is still owed."""
    with transaction(engine) as session:
        seq = _repayment(session, load_case(session, case_number)).seq
    obligations.record_receipt(case_number, seq, amount_fen=amount_fen, reference=reference, received_on=received_on,
                               actor=actor, engine=engine)
    with transaction(engine) as session:
        case = load_case(session, case_number)
        owed = _repayment(session, case)
        if owed.state == ObligationState.settled and case.status == CaseStatus.paid:
            apply_transition(session, case, CaseStatus.closed, actor="system", reason="the advance is repaid")
        return owed.amount_fen - owed.settled_fen


def write_off(case_number: str, *, reason: str, by: Actor, engine: Engine | None = None) -> int:
    """An approver writes off what the employer still owes, with a reason: the receivable is
    cancelled (its expected recovery reversed in the ledger) and the advance closes. Returns the
    amount written off."""
    if len(reason.strip()) < 2:
        raise InputError("reason", "is required: why the rest will not be recovered")
    with transaction(engine) as session:
        case = load_case(session, case_number)
        staff, who = auth.require_role(session, by, frozenset({Role.approver}), "writing off an advance")
        of_body(session, staff, case, "writing off an advance")
        if case.status != CaseStatus.paid:
            raise RuleViolation(f"case {case_number} is {case.status.value}: only an advance paid out and not repaid "
                                "is written off")
        owed = _repayment(session, case)
        left = owed.amount_fen - owed.settled_fen
        moved = session.execute(update(Obligation).where(col(Obligation.id) == owed.id,
                                                         col(Obligation.state) == ObligationState.open,
                                                         col(Obligation.settled_fen) == owed.settled_fen)
                                .values(state=ObligationState.cancelled, settled_at=utcnow()))
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise RuleViolation(f"the repayment of {case_number} changed meanwhile; look again")
        programme = session.get(Programme, owed.programme_id)
        assert programme is not None
        accounts = ledger.accounts_for(programme)
        ledger.post(session, key=f"write-off:{case_number}:O{owed.seq}", kind="receivable_written_off",
                    programme=programme, lines=[(accounts.of(AccountKind.recoveries), left),
                                                (accounts.of(AccountKind.receivable), -left)], case_id=case.id)
        link = _link(session, case)
        link.written_off_reason = pii.seal_text(reason.strip())
        session.add(link)
        append_event(session, actor=who, action="advance_written_off", case_id=case.id, case_number=case_number,
                     reason=mask_text(reason.strip()), payload={"written_off_fen": left, "seq": owed.seq})
        apply_transition(session, case, CaseStatus.closed, actor="system", reason="the rest of the advance is written off")
        return left


def worker_payee(session: Session, case: Case, obligation: Obligation) -> Payee | None:
    """The worker of the mediation case the obligation names (``Party.worker``), paid to the card
    given with the application."""
    mediation = session.execute(select(Case).where(col(Case.case_number) == obligation.party_ref)).scalar_one_or_none()
    detail = session.get(MediationDetail, mediation.id) if mediation is not None else None
    if detail is None or not detail.worker_bank_account_enc:
        return None
    return Payee(pii.decrypt(detail.worker_name), detail.worker_bank_account_enc, detail.worker_bank_account_masked or "")
