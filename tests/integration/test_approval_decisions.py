"""What an approval refuses and what it leaves behind, word for word: an approver reads the
refusal to know what to change, and the union's auditors read the trail to know who decided what."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Approval
from models.enums import CaseStatus, CaseType, Role
from models.errors import InputError, RuleViolation, StaleCase
from services import approvals, ledger, org
from services.audit import case_history
from services.cases import load_case
from services.db import transaction
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship
from tests.integration.test_hardship_intake_verification import LIVING_DOCS, application, registry_for


@pytest.fixture
def waiting(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine, factories.awaiting_approval(engine, requested_fen=300000)


@pytest.fixture
def large(engine, tmp_path):
    """A verified ¥8,000.00 medical case: above the sample policy's ¥5,000.00, so two different
    district approvers must approve the same amount."""
    factories.world(engine, tmp_path)
    ledger.add_programme("HA-MEDICAL", "Medical relief", CaseType.hardship, 2026, 5_000_000, engine=engine)
    org.add_staff("AP2", "Approver Two", "D000", [Role.approver], 2_000_000, engine=engine)
    number = intake_hardship(application(category="medical_relief", requested_amount_yuan="8000",
                                         documents_provided=LIVING_DOCS + ["diagnosis", "medical_invoices"]),
                             engine=engine)
    assert verify_hardship(number, registry_for(engine), engine=engine).status == CaseStatus.awaiting_approval
    return engine, number


def _written(engine):
    with transaction(engine) as s:
        return (s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
                s.execute(select(func.count()).select_from(Approval)).scalar_one())


def _refusal(refused):
    return refused.value.field, refused.value.problem_detail.problem


def test_an_approval_of_nothing_is_refused_naming_the_amount_and_writes_nothing(waiting):
    engine, case = waiting
    before = _written(engine)
    with pytest.raises(InputError) as refused:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=0, reason="eligible", engine=engine)
    assert _refusal(refused) == ("approved_amount", "must be more than zero")
    assert _written(engine) == before


def test_an_approval_of_more_than_was_requested_is_refused_naming_both_amounts(waiting):
    engine, case = waiting
    with pytest.raises(InputError) as refused:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=300001, reason="eligible", engine=engine)
    assert _refusal(refused) == ("approved_amount", "¥3,000.01 is more than the requested ¥3,000.00")


def test_an_approval_decided_on_an_older_version_is_stale_and_says_what_it_expected(waiting):
    engine, case = waiting
    older = case.version - 1
    with pytest.raises(StaleCase) as stale:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=0, reason="eligible",
                               expected_version=older, engine=engine)
    assert str(stale.value) == (f"case {case.case_number} was changed by someone else "
                                f"(expected awaiting_approval at version {older}); reload it and try again")
    with transaction(engine) as s:
        assert load_case(s, case.case_number).status == CaseStatus.awaiting_approval


def test_an_approver_may_approve_exactly_their_limit(waiting):
    engine, case = waiting  # CW2's limit is ¥3,000.00, the amount requested
    approved = approvals.approve_case(case.case_number, approver=as_staff("CW2"), amount_fen=300000, reason="eligible",
                                      expected_version=case.version, engine=engine)
    assert (approved.status, approved.approved_fen) == (CaseStatus.approved, 300000)


def test_a_single_approval_is_in_the_trail_with_the_amount_and_one_approver(waiting):
    engine, case = waiting
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=250000, reason="eligible", engine=engine)
    with transaction(engine) as s:
        last, opened = case_history(s, case.case_number)[-2:]
        assert (last.action, last.actor, last.reason, last.from_status, last.to_status, last.payload) == (
            "approve", "AP1", "eligible", "awaiting_approval", "approved", {"approved_fen": 250000, "approvers": 1, "authenticated": "totp"})
        assert (opened.action, opened.actor, opened.payload["obligations"]) == ("obligations_opened", "AP1", [
            {"seq": 1, "direction": "out", "party": "member", "purpose": "living_relief", "amount_fen": 250000,
             "due_on": None}])


def test_the_first_of_two_approvals_is_in_the_trail_and_leaves_the_case_waiting(large):
    engine, number = large
    first = approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="need confirmed", engine=engine)
    assert first.status == CaseStatus.awaiting_approval
    with transaction(engine) as s:
        case = load_case(s, number)
        last = case_history(s, number)[-1]
        assert (last.action, last.actor, last.case_id, last.case_number, last.from_status, last.to_status,
                last.reason, last.payload) == (
            "first_approval", "AP1", case.id, number, "awaiting_approval", "awaiting_approval", "need confirmed",
            {"approved_fen": 800000, "approvers_needed": 2, "authenticated": "totp"})
        assert case.status == CaseStatus.awaiting_approval and case.approved_fen is None


def test_a_second_approver_of_another_amount_is_told_the_first_amount(large):
    engine, number = large
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="ok", engine=engine)
    with pytest.raises(InputError) as refused:
        approvals.approve_case(number, approver=as_staff("AP2"), amount_fen=700000, reason="less", engine=engine)
    assert _refusal(refused) == ("approved_amount",
                                 "the first approver approved ¥8,000.00; approve the same amount or reject")


def test_the_second_approval_moves_the_case_and_names_two_approvers_in_the_trail(large):
    engine, number = large
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="ok", engine=engine)
    with pytest.raises(RuleViolation, match="AP1 has approved already"):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=800000, reason="again", engine=engine)
    approvals.approve_case(number, approver=as_staff("AP2"), amount_fen=800000, reason="agree", engine=engine)
    with transaction(engine) as s:
        last, opened = case_history(s, number)[-2:]
        assert (last.action, last.actor, last.payload) == ("approve", "AP2", {"approved_fen": 800000, "approvers": 2, "authenticated": "totp"})
        assert (opened.action, opened.actor) == ("obligations_opened", "AP2")


def test_approving_a_case_that_is_not_awaiting_approval_is_refused_as_no_such_move(engine, tmp_path):
    from models.errors import NoSuchMove
    from tests import factories

    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    with pytest.raises(NoSuchMove) as refused:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="too early", engine=engine)
    assert (refused.value.from_status, refused.value.to_status) == ("submitted", "approved")
