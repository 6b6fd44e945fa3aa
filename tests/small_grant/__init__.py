"""A small grant (小额补助): the minimal case type, written here and nowhere else.

It is the proof that a case type is one package and one registry line: its own form, one rule,
an approval policy and a payment plan, run by the engine's one driver. Nothing outside
``tests/`` names it. Its registry line, ``casetypes.register(SPEC)``, is in the fixture of the
tests that run it, so the other tests (the deployments served, for one) see only the real types.
The whole type:

- form: ``GrantApplication`` (the intake flow's run form) — who asks, for how much, why;
- rule: a grant is at most ¥1,000.00; a larger request is rejected at verification;
- approval policy: up to ¥300.00 the unit's own approver decides, above it a district approver,
  above ¥800.00 two of them; decided in ``GrantDecision``;
- payment plan: the approved amount to the applicant, in the engine's exactly-once payout, from
  programme SG-GRANT;
- moves: verification, approval, payout and closing, as rows of the engine's transition table;
- clock: a grant waiting for approval is decided within 5 working days (reported when it runs out).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from prefect import flow, task
from prefect.input import RunInput
from pydantic import BaseModel, Field
from sqlmodel import Session

from casetypes.driver import take_in
from casetypes.spec import CaseTypeSpec, IntakeFiles
from casetypes.steps import AwaitDecision, Check, close_paid, pay_approved, settle_payout
from models.cases import Case
from models.clocks import Clock, CountedIn
from models.enums import CaseStatus as S
from models.enums import CaseType, Role
from models.errors import FieldProblem, InputError, StaleCase
from models.identity import CODE_PATTERN, Actor, StaffClaim, actor_label
from models.money import format_fen, parse_yuan
from models.policy import ApprovalThresholds
from models.transitions import move_rule
from services import approvals
from services.case_queries import DecisionContext
from services.cases import load_case, open_case, transition_case
from services.db import transaction
from services.obligations import pay_the_applicant
from tests.factories import YEAR

SMALL_GRANT = CaseType.register("small_grant", "SG")
PROGRAMME = "SG-GRANT"
LARGEST_FEN = 100_000


class GrantApplication(BaseModel):
    """小额补助 A small grant application."""

    caseworker: str = Field(min_length=1, max_length=32)
    applicant_member_number: str = Field(min_length=1, max_length=32)
    amount_yuan: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    reason: str = Field(min_length=2, max_length=2000)


class GrantDecision(RunInput):
    decision: Literal["approve", "reject"]
    approver: str = Field(min_length=1, max_length=32)
    one_time_code: str = Field(pattern=CODE_PATTERN)
    amount_yuan: Decimal | None = None
    reason: str = Field(min_length=2, max_length=2000)


@dataclass(frozen=True)
class RuleOutcome:
    status: S
    markdown: str


def store(application: GrantApplication, submitted_by: Actor) -> str:
    if actor_label(submitted_by) != application.caseworker:
        raise InputError("caseworker", "must be the staff member who submits the application")
    return open_case(case_type=SMALL_GRANT, category="small_grant", applicant_member_number=application.applicant_member_number,
                     requested_fen=parse_yuan(application.amount_yuan, "amount_yuan"), submitted_by=submitted_by,
                     programme_code=PROGRAMME, reason=application.reason, local_year=YEAR).case_number


@task(name="take-in-small-grant")
def intake_task(application: GrantApplication, submitted_by: StaffClaim) -> str:
    return store(application, submitted_by)


@task(name="check-small-grant")
def check_task(case_number: str) -> RuleOutcome:
    """The one rule: at most ¥1,000.00."""
    with transaction() as session:
        requested = load_case(session, case_number).requested_fen
    transition_case(case_number, S.verifying, actor="system", reason="checking the amount")
    passed = requested <= LARGEST_FEN
    to = S.awaiting_approval if passed else S.rejected
    why = "within the largest grant" if passed else f"{format_fen(requested)} is more than the largest grant"
    transition_case(case_number, to, actor="system", reason=why)
    return RuleOutcome(to, f"## {case_number}\n\n- {why} ({format_fen(LARGEST_FEN)})\n")


@task(name="decide-small-grant")
def decide_task(case_number: str, decision: GrantDecision, version: int) -> None:
    try:
        if decision.decision == "approve":
            approvals.approve_case(case_number, approver=StaffClaim(decision.approver, decision.one_time_code),
                                   reason=decision.reason,
                                   amount_fen=parse_yuan(decision.amount_yuan, "amount_yuan"), expected_version=version)
        else:
            approvals.reject_case(case_number, approver=StaffClaim(decision.approver, decision.one_time_code),
                                  reason=decision.reason,
                                  expected_version=version)
    except StaleCase:
        pass


def summary(case: DecisionContext) -> str:
    return f"## {case.case_number}: small grant of {format_fen(case.requested_fen)}"


def thresholds(session: Session, case: Case) -> ApprovalThresholds:
    return ApprovalThresholds.model_validate({"grassroots_limit_yuan": 300, "district_limit_yuan": 1000,
                                              "two_approvers_above_yuan": 800})


@flow(name="small-grant-intake")
def small_grant_intake(application: GrantApplication, one_time_code: str) -> str:
    return take_in(SPEC, intake_task, application, StaffClaim(application.caseworker, one_time_code))


def _read(path) -> tuple[list[tuple[int, GrantApplication]], list[FieldProblem]]:
    return [(1, GrantApplication.model_validate_json(path.read_text(encoding="utf-8")))], []


_CW, _AP, _FI = Role.caseworker, Role.approver, Role.finance
MOVES = (
    move_rule(S.submitted, S.verifying, "start_check", _CW, system=True),
    move_rule(S.verifying, S.awaiting_approval, "check_passed", _CW, system=True),
    move_rule(S.verifying, S.rejected, "check_failed", _CW, system=True),
    move_rule(S.awaiting_approval, S.approved, "approve", _AP, four_eyes=True),
    move_rule(S.awaiting_approval, S.rejected, "reject", _AP, four_eyes=True),
    move_rule(S.approved, S.payout_pending, "release_payout", _FI, system=True),
    move_rule(S.payout_pending, S.paid, "payout_succeeded", _FI, system=True),
    move_rule(S.payout_pending, S.approved, "payout_failed", _FI, system=True),
    move_rule(S.paid, S.closed, "close", _CW, system=True),
    move_rule(S.rejected, S.closed, "close", _CW, system=True),
)

DECISION_CLOCK = Clock(SMALL_GRANT, "decision", "decide the grant", 5, CountedIn.working_days,
                       frozenset({S.awaiting_approval}), frozenset({S.approved, S.rejected, S.withdrawn}))

SPEC = CaseTypeSpec(
    case_type=SMALL_GRANT,
    title="small grant 小额补助",
    intake_flow=small_grant_intake,
    files=IntakeFiles(GrantApplication.model_json_schema, _read, store),
    steps={
        S.submitted: Check(check_task),
        S.awaiting_approval: AwaitDecision(GrantDecision, summary, decide_task),
        S.approved: pay_approved,
        S.payout_pending: settle_payout,
        S.paid: close_paid,
    },
    moves=MOVES,
    thresholds=thresholds,
    clocks=(DECISION_CLOCK,),
    payment_plan=pay_the_applicant,
)
