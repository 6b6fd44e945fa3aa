"""Transitions against a real database: one transaction each, with its audit event."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Approval, Case
from models.enums import CaseStatus
from services import approvals
from services.cases import transition_case
from services.db import transaction
from services.errors import FourEyesViolation, InputError, RuleViolation, StaleCase, TransitionRefused
from tests import factories


@pytest.fixture
def ready(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def _events(engine, case_number):
    with transaction(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.case_number == case_number).order_by(AuditEvent.seq)).scalars().all()


def test_intake_gives_a_readable_case_number_and_a_submitted_event(ready):
    first = factories.hardship_case(ready)
    second = factories.hardship_case(ready)
    assert first.case_number.startswith("HA-") and first.case_number.endswith("-000001")
    assert second.case_number.endswith("-000002")
    events = _events(ready, first.case_number)
    assert [(e.action, e.to_status) for e in events] == [("submit", "submitted")]


def test_a_case_walks_the_whole_hardship_path_with_one_event_per_step(ready):
    case = factories.awaiting_approval(ready)
    approvals.approve_case(case.case_number, approver="AP1", amount_fen=150000, reason="ok", engine=ready)
    for status, actor in ((CaseStatus.payout_pending, "FI1"), (CaseStatus.paid, "system"), (CaseStatus.closed, "system")):
        transition_case(case.case_number, status, actor=actor, reason="step", engine=ready)
    events = _events(ready, case.case_number)
    assert [e.to_status for e in events] == ["submitted", "verifying", "awaiting_approval", "approved",
                                             "payout_pending", "paid", "closed"]
    assert all(events[i].from_status == events[i - 1].to_status for i in range(1, len(events)))
    with transaction(ready) as s:
        stored = s.execute(select(Case).where(Case.case_number == case.case_number)).scalar_one()
        assert (stored.status, stored.version, stored.approved_fen) == (CaseStatus.closed, 7, 150000)
        assert stored.closed_at is not None


def test_a_refused_move_changes_nothing_and_writes_no_event(ready):
    case = factories.hardship_case(ready)
    with pytest.raises(TransitionRefused) as caught:
        transition_case(case.case_number, CaseStatus.paid, actor="FI1", reason="skip ahead", engine=ready)
    message = str(caught.value)
    assert case.case_number in message and "submitted" in message and "paid" in message and "no such move" in message
    assert len(_events(ready, case.case_number)) == 1


def test_the_submitter_cannot_approve_their_own_case(ready):
    case = factories.awaiting_approval(ready, submitted_by="CW2")
    with pytest.raises(FourEyesViolation, match="four-eyes"):
        approvals.approve_case(case.case_number, approver="CW2", amount_fen=1000, reason="mine", engine=ready)


def test_an_approver_cannot_approve_above_their_personal_limit(ready):
    case = factories.awaiting_approval(ready, requested_fen=500000)
    with pytest.raises(RuleViolation, match="may approve up to ¥3,000.00"):
        approvals.approve_case(case.case_number, approver="CW2", amount_fen=300001, reason="too much", engine=ready)


def test_the_approved_amount_cannot_exceed_the_request(ready):
    case = factories.awaiting_approval(ready)
    with pytest.raises(InputError, match="approved_amount"):
        approvals.approve_case(case.case_number, approver="AP1", amount_fen=200001, reason="x", engine=ready)


def test_a_failing_side_effect_rolls_back_the_status_and_the_event(ready):
    case = factories.hardship_case(ready)

    def explode(session, c):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="x", effects=explode, engine=ready)
    with transaction(ready) as s:
        assert s.execute(select(Case.status).where(Case.id == case.id)).scalar_one() == CaseStatus.submitted
    assert len(_events(ready, case.case_number)) == 1


def test_a_stale_version_is_refused_as_a_conflict(ready):
    case = factories.hardship_case(ready)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="x", engine=ready)
    with pytest.raises(StaleCase, match="changed by someone else"):
        transition_case(case.case_number, CaseStatus.needs_information, actor="system", reason="x",
                        expected_version=1, engine=ready)


def test_a_rejection_is_recorded_as_a_decision(ready):
    case = factories.awaiting_approval(ready)
    approvals.reject_case(case.case_number, approver="AP1", reason="income above the line", engine=ready)
    with transaction(ready) as s:
        decisions = s.execute(select(func.count()).select_from(Approval).where(Approval.case_id == case.id)).scalar_one()
    assert decisions == 1


def test_an_inactive_or_unknown_staff_member_cannot_act(ready):
    case = factories.hardship_case(ready)
    with pytest.raises(Exception, match="does not exist"):
        transition_case(case.case_number, CaseStatus.verifying, actor="NOBODY", reason="x", engine=ready)
