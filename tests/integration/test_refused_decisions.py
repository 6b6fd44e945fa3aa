"""A refused decision is audited: one ``decision_refused`` event, in the chain, naming who tried
and why, with nothing personal in it; the case itself does not change.

The waiting ``hardship-case`` run records refusals through this service and then waits again
(``tests/flows/test_hardship_approval_wait.py`` drives that path through Prefect)."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Approval
from models.errors import FourEyesViolation, NotFound, RuleViolation, UnionaidError
from models.identity import StaffClaim
from models.ledger import LedgerLine
from services import approvals
from services.audit import verify_chain
from services.cases import load_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff, resident_id


@pytest.fixture
def ready(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def _state(engine, case_number):
    """The case and everything a decision writes besides the audit trail."""
    with transaction(engine) as s:
        case = load_case(s, case_number)
        return {
            "case": (case.status, case.version, case.approved_fen, case.updated_at),
            "approvals": s.execute(select(func.count()).select_from(Approval)).scalar_one(),
            "ledger_lines": s.execute(select(func.count()).select_from(LedgerLine)).scalar_one(),
        }


def _refused_events(engine, case_number):
    with transaction(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.case_number == case_number,
                                                  AuditEvent.action == "decision_refused")).scalars().all()


def _refuse(engine, case_number, approver, decide):
    """Try a decision as the waiting run does; audit the refusal; return the refusal text."""
    with pytest.raises(UnionaidError) as refused:
        decide()
    approvals.record_refused_decision(case_number, approver=approver, refusal=str(refused.value), engine=engine)
    return refused.value


def _assert_chained(engine, event):
    with transaction(engine) as s:
        before = s.execute(select(AuditEvent).where(AuditEvent.seq == event.seq - 1)).scalar_one()
        report = verify_chain(s)
    assert event.prev_hash == before.hash
    assert report.intact and report.events == event.seq  # the refusal is the newest link of the one chain


def test_the_submitter_deciding_their_own_case_leaves_one_refusal_event_and_the_case_unchanged(ready):
    case = factories.awaiting_approval(ready, submitted_by=as_staff("CW2"))
    before = _state(ready, case.case_number)

    error = _refuse(ready, case.case_number, "CW2", lambda: approvals.approve_case(
        case.case_number, approver=as_staff("CW2"), amount_fen=150000, reason="mine", engine=ready))

    assert isinstance(error, FourEyesViolation)
    [event] = _refused_events(ready, case.case_number)
    assert (event.actor, event.from_status, event.to_status) == ("CW2", "awaiting_approval", "awaiting_approval")
    assert event.reason == (f"case {case.case_number}: cannot move from awaiting_approval to approved: "
                            "four-eyes rule: the person who submitted the case may not 'approve' it")
    assert event.case_id == case.id and event.payload == {}
    assert _state(ready, case.case_number) == before
    _assert_chained(ready, event)


def test_an_approval_over_the_approvers_limit_leaves_one_refusal_event_naming_the_limit(ready):
    case = factories.awaiting_approval(ready, requested_fen=500000)
    before = _state(ready, case.case_number)

    error = _refuse(ready, case.case_number, "CW2", lambda: approvals.approve_case(
        case.case_number, approver=as_staff("CW2"), amount_fen=400000, reason="eligible", engine=ready))

    assert type(error) is RuleViolation
    [event] = _refused_events(ready, case.case_number)
    assert event.actor == "CW2"
    assert event.reason == ("approval limit: CW2 may approve up to ¥3,000.00, not ¥4,000.00; "
                            "a higher-level approver must decide")
    assert _state(ready, case.case_number) == before
    _assert_chained(ready, event)


def test_each_refused_decision_is_its_own_event(ready):
    case = factories.awaiting_approval(ready, submitted_by=as_staff("CW2"))
    for _ in range(2):
        _refuse(ready, case.case_number, "CW2", lambda: approvals.reject_case(
            case.case_number, approver=as_staff("CW2"), reason="mine", engine=ready))
    events = _refused_events(ready, case.case_number)
    assert [e.actor for e in events] == ["CW2", "CW2"]
    assert all("may not 'reject' it" in e.reason for e in events)
    with transaction(ready) as s:
        assert approvals.count_refused_decisions(s, load_case(s, case.case_number)) == 2


def test_a_resident_id_typed_as_the_approver_is_masked_in_the_refusal_event(ready):
    case = factories.awaiting_approval(ready)
    typed = resident_id(seq=1)

    error = _refuse(ready, case.case_number, typed, lambda: approvals.approve_case(
        case.case_number, approver=StaffClaim(typed, "123456"), amount_fen=150000, reason="ok", engine=ready))

    assert isinstance(error, NotFound)
    [event] = _refused_events(ready, case.case_number)
    masked = f"{typed[:6]}********{typed[-4:]}"
    assert event.actor == masked
    assert event.reason == "staff member (the number typed) does not exist"  # not even masked: it is no code
    assert typed not in f"{event.actor} {event.reason} {event.payload}"
    _assert_chained(ready, event)


def test_a_refusal_on_a_case_that_does_not_exist_writes_nothing(ready):
    with transaction(ready) as s:
        events = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    with pytest.raises(NotFound, match="HA-2026-999999"):
        approvals.record_refused_decision("HA-2026-999999", approver=as_staff("AP1"), refusal="x", engine=ready)
    with transaction(ready) as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events


def test_a_long_approver_entry_and_refusal_are_cut_to_what_the_trail_holds(ready):
    case = factories.awaiting_approval(ready)
    event = approvals.record_refused_decision(case.case_number, approver="A" * 60, refusal="r" * 2500, engine=ready)
    [stored] = _refused_events(ready, case.case_number)
    assert (stored.actor, stored.reason) == ("A" * 40, "r" * 1900)
    assert stored.seq == event.seq


def test_refusals_are_counted_per_case(ready):
    first, second = factories.awaiting_approval(ready), factories.awaiting_approval(ready)
    for _ in range(2):
        approvals.record_refused_decision(first.case_number, approver=as_staff("CW1"), refusal="four-eyes", engine=ready)
    approvals.record_refused_decision(second.case_number, approver=as_staff("CW1"), refusal="four-eyes", engine=ready)
    with transaction(ready) as s:
        assert approvals.count_refused_decisions(s, load_case(s, first.case_number)) == 2
        assert approvals.count_refused_decisions(s, load_case(s, second.case_number)) == 1
