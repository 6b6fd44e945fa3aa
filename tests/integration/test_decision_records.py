"""What a decision and an unknown payout outcome leave behind, field by field: the audit trail
is what the union's auditors read, so its reasons and order are part of the behaviour."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Approval
from models.enums import CaseStatus
from models.errors import InputError, NotFound, OutcomeUnknown, StaleCase
from models.payouts import Payout
from services import approvals, payouts, pii
from services.audit import case_history
from services.cases import load_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff
from tests.integration.test_payout_resolution import RequestLostOnTheWay


@pytest.fixture
def waiting(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine, factories.awaiting_approval(engine)


def _count(engine, table):
    with transaction(engine) as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused_naming_the_field_and_writes_nothing(waiting, reason):
    engine, case = waiting
    events = _count(engine, AuditEvent)
    with pytest.raises(InputError) as refused:
        approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason=reason, engine=engine)
    assert (refused.value.field, refused.value.problem_detail.problem) == (
        "reason", "is required: say why the case is rejected")
    assert _count(engine, AuditEvent) == events and _count(engine, Approval) == 0


def test_a_rejection_records_its_reason_with_the_decision_and_in_the_trail(waiting):
    engine, case = waiting
    approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason="owns two flats", engine=engine)
    with transaction(engine) as s:
        last = case_history(s, case.case_number)[-1]
        decision = s.execute(select(Approval)).scalar_one()
        assert (last.action, last.actor, last.reason, last.to_status) == ("reject", "AP1", "owns two flats", "rejected")
        assert (decision.decision.value, pii.open_text(decision.reason)) == ("reject", "owns two flats")
        assert "owns two flats" not in decision.reason  # stored encrypted
        assert load_case(s, case.case_number).status == CaseStatus.rejected


def test_a_rejection_against_a_version_already_moved_on_is_stale(waiting):
    engine, case = waiting
    with pytest.raises(StaleCase):
        approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason="late", expected_version=case.version - 1,
                              engine=engine)
    with transaction(engine) as s:
        assert load_case(s, case.case_number).status == CaseStatus.awaiting_approval


def test_a_case_history_is_every_event_of_that_case_in_the_order_it_happened(waiting):
    engine, case = waiting
    approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason="no", engine=engine)
    with transaction(engine) as s:
        history = case_history(s, case.case_number)
        assert [e.action for e in history] == ["submit", "start_verification", "verification_passed", "reject"]
        assert [e.seq for e in history] == sorted(e.seq for e in history)
        assert {e.case_number for e in history} == {case.case_number}
        with pytest.raises(NotFound, match="no audit events for case HA-2026-999999"):
            case_history(s, "HA-2026-999999")


def test_an_unknown_payout_outcome_is_in_the_trail_with_the_error_cut_to_length(waiting):
    engine, case = waiting
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=engine)

    class LostWithALongError(RequestLostOnTheWay):
        def create_transfer(self, *args, **kwargs):
            raise OutcomeUnknown("e" * 450)

    [view] = payouts.pay_case(case.case_number, LostWithALongError(), engine=engine)
    with transaction(engine) as s:
        last = case_history(s, case.case_number)[-1]
        assert (last.action, last.from_status, last.to_status, last.reason) == (
            "payout_outcome_unknown", "submitted", "unknown", "e" * 400)
        assert last.payload == {"reference": view.reference, "attempt": 1, "amount_fen": 100000}
        assert s.get(Payout, view.id).last_error == "e" * 400


def test_a_cases_unit_is_named_by_its_code_for_the_run_tags(waiting):
    engine, case = waiting
    from services.cases import unit_code

    with transaction(engine) as s:
        assert unit_code(s, case.unit_id) == "G001"
        with pytest.raises(NotFound, match="unit 999999 does not exist"):
            unit_code(s, 999999)
