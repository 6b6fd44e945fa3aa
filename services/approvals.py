"""Deciding on cases: approve (with an amount) or reject, by an approver within their limit.

Rules kept here: the approved amount is at most the requested amount; an approver's personal
limit is respected; the four-eyes rule and roles come from the transition table. The decision
row, the amount, the case's payment obligations (its type's payment plan) and the status change
commit together with their audit events. A decision that
is refused is audited too (``record_refused_decision``), and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models.approval_routing import approver_refusal, route_for
from models.audit import AuditEvent
from models.cases import Approval, Case
from models.enums import CaseStatus, CaseType, Decision
from models.errors import InputError, NotFound, RuleViolation, StaleCase
from models.identity import Actor, actor_label
from models.money import format_fen
from models.org import Staff, Unit
from models.policy import ApprovalThresholds
from services import ledger, obligations, pii
from services.audit import append_event
from services.cases import apply_transition, authorize, load_case, require_guards, resolve_actor
from services.db import transaction
from services.decision_rules import hardship_decision_refusal
from services.masking import mask_text
from services.verification import policy_version_for


def _approver(session: Session, staff_number: str) -> tuple[Staff, Unit]:
    row = session.execute(select(Staff, Unit).join(Unit, col(Unit.id) == Staff.unit_id)
                          .where(col(Staff.staff_number) == staff_number)).first()
    if row is None:
        raise NotFound(f"staff member {staff_number} does not exist")
    return row[0], row[1]


def approve_case(case_number: str, *, approver: Actor, amount_fen: int, reason: str,
                 expected_version: int | None = None, engine: Engine | None = None) -> Case:
    """Record an approval. When the route needs two approvers, the first one is recorded and
    the case waits for a second, different approver of the same amount."""
    if not reason.strip():
        raise InputError("reason", "is required: say why the case is approved")
    with transaction(engine) as session:
        acting = resolve_actor(session, approver)  # who decides, proved, before anything is told
        case = load_case(session, case_number)
        if expected_version is not None and expected_version != case.version:
            # Decided on what is no longer the case: stale, whatever the other rules would say.
            raise StaleCase(case_number, case.status.value, expected_version)
        require_guards(session, case, CaseStatus.approved)  # also before a first of two approvals is recorded
        if amount_fen <= 0:
            raise InputError("approved_amount", "must be more than zero")
        if amount_fen > case.requested_fen:
            raise InputError("approved_amount",
                             f"{format_fen(amount_fen)} is more than the requested {format_fen(case.requested_fen)}")
        authorize(session, case, CaseStatus.approved, acting.audit_actor)  # roles and four-eyes before limits
        who = acting.label
        staff, unit = _approver(session, who)
        if amount_fen > staff.approval_limit_fen:
            raise RuleViolation(f"approval limit: {who} may approve up to {format_fen(staff.approval_limit_fen)}, "
                                f"not {format_fen(amount_fen)}; a higher-level approver must decide")
        route = route_for(amount_fen, thresholds_for(session, case))
        why = approver_refusal(route, unit.level, unit.id == case.unit_id)
        if why:
            raise RuleViolation(f"case {case_number}: {who} may not approve: {why}")
        earlier = session.execute(select(Approval).where(col(Approval.case_id) == case.id,
                                                         col(Approval.decision) == Decision.approve)).scalars().all()
        if any(a.approver_staff_id == staff.id for a in earlier):
            raise RuleViolation(f"case {case_number}: {who} has approved already; a second, different approver must decide")
        if earlier and earlier[0].amount_fen != amount_fen:
            raise InputError("approved_amount", f"the first approver approved {format_fen(earlier[0].amount_fen)}; "
                                                "approve the same amount or reject")
        still_holds = DECISION_RULES_BY_TYPE.get(case.case_type)
        if still_holds is not None and (refusal := still_holds(session, case, amount_fen)):
            raise RuleViolation(refusal)  # no double aid, caps: again now, under the household's lock
        decision = Approval(case_id=case.id, decision=Decision.approve, approver_staff_id=staff.id,  # type: ignore[arg-type]
                            level=unit.level.value, amount_fen=amount_fen, reason=pii.seal_text(reason))
        if len(earlier) + 1 < route.approvers_needed:
            session.add(decision)
            append_event(session, actor=acting.audit_actor, action="first_approval", case_id=case.id, case_number=case_number,
                         from_status=case.status.value, to_status=case.status.value, reason=reason,
                         payload={"approved_fen": amount_fen, "approvers_needed": route.approvers_needed})
            return case

        def record(s: Session, c: Case) -> None:
            ledger.reserve(s, c, amount_fen, key=f"reserve:{c.case_number}:v{c.version}")
            c.approved_fen = amount_fen
            s.add(c)
            s.add(decision)
            obligations.open_plan(s, c, actor=acting.audit_actor)

        return apply_transition(session, case, CaseStatus.approved, actor=acting.audit_actor, reason=reason,
                                expected_version=expected_version,
                                payload={"approved_fen": amount_fen, "approvers": len(earlier) + 1}, effects=record)


def thresholds_for(session: Session, case: Case) -> ApprovalThresholds | None:
    """The policy's approval thresholds for this case, where its case type has a policy."""
    finder = THRESHOLDS_BY_TYPE.get(case.case_type)
    return finder(session, case) if finder else None


def _hardship_thresholds(session: Session, case: Case) -> ApprovalThresholds | None:
    version = policy_version_for(session, case)
    return version.approval if version else None


ThresholdFinder = Callable[[Session, Case], ApprovalThresholds | None]
THRESHOLDS_BY_TYPE: dict[CaseType, ThresholdFinder] = {CaseType.hardship: _hardship_thresholds}
# The rules a case type re-checks when a case is approved, with the amount approved (None: they hold).
DecisionRules = Callable[[Session, Case, int], str | None]
DECISION_RULES_BY_TYPE: dict[CaseType, DecisionRules] = {CaseType.hardship: hardship_decision_refusal}


def thresholds_refusal(case_type: CaseType, finder: ThresholdFinder) -> str | None:
    if THRESHOLDS_BY_TYPE.get(case_type, finder) is not finder:
        return f"case type {case_type.value} has its approval thresholds already"
    return None


def register_thresholds(case_type: CaseType, finder: ThresholdFinder) -> None:
    """Where a case type registered later finds the thresholds of its approval route (its
    package's approval policy). Without one, one approver of the case's own unit decides."""
    if why := thresholds_refusal(case_type, finder):
        raise ValueError(why)
    THRESHOLDS_BY_TYPE[case_type] = finder


def reject_case(case_number: str, *, approver: Actor, reason: str, expected_version: int | None = None,
                engine: Engine | None = None, effects: Callable[[Session, Case], None] | None = None,
                payload: dict[str, object] | None = None) -> Case:
    """Record a rejection; ``effects`` (a type's own record of it, e.g. a claim's reason code) and
    ``payload`` go into the same transaction and audit event."""
    if not reason.strip():
        raise InputError("reason", "is required: say why the case is rejected")
    with transaction(engine) as session:
        acting = resolve_actor(session, approver)
        case = load_case(session, case_number)
        staff, unit = _approver(session, acting.label)

        def record(s: Session, c: Case) -> None:
            s.add(Approval(case_id=c.id, decision=Decision.reject, approver_staff_id=staff.id,  # type: ignore[arg-type]
                           level=unit.level.value, reason=pii.seal_text(reason)))
            if effects is not None:
                effects(s, c)

        return apply_transition(session, case, CaseStatus.rejected, actor=acting.audit_actor, reason=reason,
                                expected_version=expected_version, effects=record, payload=payload)


REFUSED_DECISION = "decision_refused"


def record_refused_decision(case_number: str, *, approver: Actor, refusal: str,
                            engine: Engine | None = None) -> AuditEvent:
    """Audit a decision the rules refused (four-eyes, a limit, an unknown approver): one
    ``decision_refused`` event naming who tried and why it was refused; the case is unchanged.

    ``approver`` is what the person typed, so it is masked like the refusal: neither may carry
    personal data into the trail."""
    with transaction(engine) as session:
        case = load_case(session, case_number)
        return append_event(session, actor=mask_text(actor_label(approver))[:40], action=REFUSED_DECISION, case_id=case.id,
                            case_number=case.case_number, from_status=case.status.value,
                            to_status=case.status.value, reason=mask_text(refusal)[:1900])


def count_refused_decisions(session: Session, case: Case) -> int:
    """How many decisions on ``case`` were refused so far (a waiting run asks again after each)."""
    return session.execute(select(func.count()).select_from(AuditEvent)
                           .where(col(AuditEvent.case_id) == case.id,
                                  col(AuditEvent.action) == REFUSED_DECISION)).scalar_one()
