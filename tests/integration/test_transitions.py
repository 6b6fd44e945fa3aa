"""Transitions against a real database: one transaction each, with its audit event."""

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Approval, Case
from models.enums import CaseStatus, Decision
from models.errors import FourEyesViolation, InputError, RuleViolation, StaleCase, TransitionRefused
from models.ledger import LedgerLine, LedgerPosting
from services import approvals, ledger, pii
from services.cases import apply_transition, load_case, transition_case
from services.db import transaction
from tests import factories
from tests.factories import acting, as_staff


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
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=ready)
    for status, actor in ((CaseStatus.payout_pending, "system"), (CaseStatus.paid, "system"), (CaseStatus.closed, "system")):
        transition_case(case.case_number, status, actor=acting(actor), reason="step", engine=ready)
    every = _events(ready, case.case_number)
    events = [e for e in every if e.to_status]  # the moves; the approval also opened the payment plan
    assert [e.action for e in every if not e.to_status] == ["obligations_opened"]
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
        transition_case(case.case_number, CaseStatus.paid, actor=as_staff("FI1"), reason="skip ahead", engine=ready)
    message = str(caught.value)
    assert case.case_number in message and "submitted" in message and "paid" in message and "no such move" in message
    assert len(_events(ready, case.case_number)) == 1


def test_each_refused_move_raises_the_error_of_its_rule_naming_case_from_to_and_rule(ready):
    from models.errors import NoSuchMove, PersonRequired, RoleRequired

    case = factories.awaiting_approval(ready, submitted_by=as_staff("CW2"))
    number = case.case_number
    expected = ((NoSuchMove, CaseStatus.paid, "FI1", "transition_table"),
                (PersonRequired, CaseStatus.approved, "system", "approve"),
                (RoleRequired, CaseStatus.approved, "CW1", "approve"),
                (FourEyesViolation, CaseStatus.approved, "CW2", "approve"))
    for kind, to, actor, rule in expected:
        with pytest.raises(TransitionRefused) as caught:
            transition_case(number, to, actor=acting(actor), reason="trying", engine=ready)
        refused = caught.value
        assert type(refused) is kind, (actor, refused)
        assert (refused.case_number, refused.from_status, refused.to_status, refused.rule) == (
            number, "awaiting_approval", to.value, rule)
    assert _events(ready, number)[-1].to_status == "awaiting_approval"  # nothing moved


def test_the_submitter_cannot_approve_their_own_case(ready):
    case = factories.awaiting_approval(ready, submitted_by=as_staff("CW2"))
    with pytest.raises(FourEyesViolation, match="four-eyes"):
        approvals.approve_case(case.case_number, approver=as_staff("CW2"), amount_fen=1000, reason="mine", engine=ready)


def test_an_approver_cannot_approve_above_their_personal_limit(ready):
    case = factories.awaiting_approval(ready, requested_fen=500000)
    with pytest.raises(RuleViolation, match="may approve up to ¥3,000.00"):
        approvals.approve_case(case.case_number, approver=as_staff("CW2"), amount_fen=300001, reason="too much", engine=ready)


def test_the_approved_amount_cannot_exceed_the_request(ready):
    case = factories.awaiting_approval(ready)
    with pytest.raises(InputError, match="approved_amount"):
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=200001, reason="x", engine=ready)


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


def _read_copy(engine, case_number):
    """The case as a caller read it: a copy that stays as it was when its transaction ended."""
    with transaction(engine) as s:
        return load_case(s, case_number)


def _move_copy(engine, copy, to_status, **kwargs):
    """Act on a copy read earlier, in a transaction of its own (as a slow caller would)."""
    with transaction(engine) as s:
        s.add(copy)
        return apply_transition(s, copy, to_status, reason="acting on what I read", **kwargs)


def _written(engine, case_number):
    """Everything a move could have written: the case row, its events and the ledger."""
    with transaction(engine) as s:
        case = load_case(s, case_number)
        return {
            "case": (case.status, case.version, case.approved_fen, case.closed_at),
            "events": s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            "postings": s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one(),
            "lines": s.execute(select(func.count()).select_from(LedgerLine)).scalar_one(),
        }


def _reserved(engine):
    return {row.programme: row.reserved_fen for row in ledger.funds(engine)}


def test_a_caller_holding_a_stale_copy_cannot_withdraw_a_case_whose_payout_has_begun(ready):
    case = factories.awaiting_approval(ready)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=ready)
    stale = _read_copy(ready, case.case_number)  # approved, version 4
    transition_case(case.case_number, CaseStatus.payout_pending, actor="system", reason="payout prepared", engine=ready)
    before = _written(ready, case.case_number)

    with pytest.raises(StaleCase, match=rf"case {case.case_number} was changed by someone else "
                                        r"\(expected approved at version 4\)"):
        _move_copy(ready, stale, CaseStatus.withdrawn, actor=as_staff("CW1"))

    # No withdrawal event, no release of the reservation the pending payout still needs.
    assert _written(ready, case.case_number) == before
    assert before["case"][:2] == (CaseStatus.payout_pending, 5)
    assert _reserved(ready)["HA-LIVING"] == 150000


def test_a_stale_copy_with_its_own_version_as_expected_version_is_still_refused(ready):
    case = factories.awaiting_approval(ready)
    stale = _read_copy(ready, case.case_number)  # awaiting_approval, version 3
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=ready)
    before = _written(ready, case.case_number)

    with pytest.raises(StaleCase, match="expected awaiting_approval at version 3"):
        _move_copy(ready, stale, CaseStatus.rejected, actor=as_staff("AP1"), expected_version=3)

    # The approval stands with its reservation; no rejection was recorded over it.
    assert _written(ready, case.case_number) == before
    assert before["case"][:3] == (CaseStatus.approved, 4, 150000)
    assert _reserved(ready)["HA-LIVING"] == 150000
    assert [e.action for e in _events(ready, case.case_number)][-2:] == ["approve", "obligations_opened"]


def test_a_fresh_copy_with_the_current_version_moves_the_case(ready):
    case = factories.awaiting_approval(ready)
    fresh = _read_copy(ready, case.case_number)
    moved = _move_copy(ready, fresh, CaseStatus.withdrawn, actor=as_staff("CW1"), expected_version=3)
    assert (moved.status, moved.version) == (CaseStatus.withdrawn, 4)
    assert [e.to_status for e in _events(ready, case.case_number)][-1] == "withdrawn"


def test_a_rejection_is_recorded_as_a_decision(ready):
    case = factories.awaiting_approval(ready)
    rejected = approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason="income above the line", engine=ready)
    assert rejected.status == CaseStatus.rejected
    with transaction(ready) as s:
        decisions = s.execute(select(Approval).where(Approval.case_id == case.id)).scalars().all()
    assert [(d.decision, pii.open_text(d.reason), d.amount_fen) for d in decisions] == [
        (Decision.reject, "income above the line", None)]  # stored encrypted
    assert [(e.action, e.actor, e.reason) for e in _events(ready, case.case_number)][-1] == \
        ("reject", "AP1", "income above the line")


def test_an_inactive_or_unknown_staff_member_cannot_act(ready):
    case = factories.hardship_case(ready)
    with pytest.raises(Exception, match="does not exist"):
        transition_case(case.case_number, CaseStatus.verifying, actor=as_staff("NOBODY"), reason="x", engine=ready)


def test_an_approval_on_a_version_the_case_has_left_is_stale_before_any_other_rule(ready):
    case = factories.awaiting_approval(ready)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=ready)
    with pytest.raises(StaleCase, match="changed by someone else"):
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="again",
                               expected_version=case.version, engine=ready)


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_approval_without_a_reason_is_refused_naming_the_field(ready, reason):
    case = factories.awaiting_approval(ready)
    with pytest.raises(InputError) as caught:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=1000, reason=reason, engine=ready)
    assert (caught.value.field, caught.value.problem_detail.problem) == ("reason", "is required: say why the case is approved")


def test_an_approval_reserves_the_budget_with_a_posting_of_its_kind(ready):
    case = factories.awaiting_approval(ready)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=ready)
    with transaction(ready) as s:
        posting = s.execute(select(LedgerPosting).where(LedgerPosting.case_id == case.id)).scalar_one()
    # keyed by the version the approval gave the case: a repeat of the same approval posts nothing new
    assert (posting.kind, posting.idempotency_key) == ("reserve", f"reserve:{case.case_number}:v{case.version + 1}")


def test_a_case_type_without_an_approval_policy_has_no_thresholds(ready):
    from models.enums import CaseType
    from services.cases import open_case

    mediation = open_case(case_type=CaseType.mediation, category="wage_arrears", applicant_member_number="M0001",
                          requested_fen=0, submitted_by=as_staff("CW1"), engine=ready)
    hardship = factories.awaiting_approval(ready)
    with transaction(ready) as s:
        assert approvals.thresholds_for(s, load_case(s, mediation.case_number)) is None
        assert approvals.thresholds_for(s, load_case(s, hardship.case_number)) is None  # not verified: no version yet


def test_a_stale_move_names_the_case_the_status_and_the_version_it_expected(ready):
    case = factories.hardship_case(ready)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="x", engine=ready)
    with pytest.raises(StaleCase) as stale:
        transition_case(case.case_number, CaseStatus.needs_information, actor="system", reason="x",
                        expected_version=1, engine=ready)
    assert str(stale.value) == (f"case {case.case_number} was changed by someone else "
                                "(expected verifying at version 1); reload it and try again")


def test_only_a_final_move_stamps_the_closing_time(ready):
    case = factories.awaiting_approval(ready)
    approvals.reject_case(case.case_number, approver=as_staff("AP1"), reason="not eligible", engine=ready)
    with transaction(ready) as s:
        assert load_case(s, case.case_number).closed_at is None  # rejected is not yet closed
    transition_case(case.case_number, CaseStatus.closed, actor="system", reason="filed", engine=ready)
    with transaction(ready) as s:
        assert load_case(s, case.case_number).closed_at is not None


def test_a_move_keeps_the_payload_its_caller_gives_in_its_audit_event(ready):
    case = factories.hardship_case(ready)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start",
                    payload={"run": "nightly"}, engine=ready)
    assert _events(ready, case.case_number)[-1].payload == {"run": "nightly"}


def test_an_application_for_a_negative_amount_is_refused_naming_the_field_and_stores_nothing(ready):
    from services.cases import open_case

    with pytest.raises(InputError) as refused:
        open_case(case_type=factories.CaseType.hardship, category="living_relief", applicant_member_number="M0001",
                  requested_fen=-1, submitted_by=as_staff("CW1"), engine=ready)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("requested_amount", "must not be negative")
    with transaction(ready) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_the_system_cannot_submit_a_case_and_is_told_who_may(ready):
    from services.cases import open_case

    with pytest.raises(RuleViolation) as refused:
        open_case(case_type=factories.CaseType.hardship, category="living_relief", applicant_member_number="M0001",
                  requested_fen=100, submitted_by="system", engine=ready)
    assert str(refused.value) == "cases are submitted by a staff member, not by the system"


def test_a_case_submitted_without_a_reason_has_an_empty_reason_in_its_first_event(ready):
    case = factories.hardship_case(ready)
    assert [(e.action, e.reason) for e in _events(ready, case.case_number)] == [("submit", "")]


def _open(engine, **changes):
    from services.cases import open_case

    fields = dict(case_type=factories.CaseType.hardship, category="living_relief", applicant_member_number="M0001",
                  requested_fen=200000, submitted_by=as_staff("CW1"), engine=engine)
    return open_case(**{**fields, **changes})


def test_a_case_submitted_by_someone_without_the_caseworker_role_or_for_no_member_is_refused_by_name(ready):
    from models.errors import NotFound

    with pytest.raises(RuleViolation) as refused:
        _open(ready, submitted_by=as_staff("AP1"))
    assert str(refused.value) == "staff member AP1 needs the caseworker role to submit cases"
    with pytest.raises(NotFound) as missing:
        _open(ready, applicant_member_number="M9999")
    assert str(missing.value) == "member M9999 does not exist"


def test_a_programme_of_another_case_type_is_refused_naming_the_programme(ready):
    ledger.add_programme("MD-FUND", "Mediation fund", factories.CaseType.mediation, factories.YEAR, 1000, engine=ready)
    with pytest.raises(InputError) as refused:
        _open(ready, programme_code="MD-FUND", local_year=factories.YEAR)
    assert (refused.value.field, refused.value.problem_detail.problem) == ("programme", "MD-FUND is for mediation cases")


def test_the_submit_event_names_the_case_and_what_was_asked_and_the_case_its_moment_and_local_year(ready):
    from datetime import UTC, datetime

    from models.time import as_utc, time_fixed_at

    new_year_in_shanghai = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 January 2027 there
    with time_fixed_at(new_year_in_shanghai):
        case = _open(ready)
    assert case.case_number == "HA-2027-000001"
    [event] = _events(ready, case.case_number)
    with transaction(ready) as s:
        stored = load_case(s, case.case_number)
        assert as_utc(stored.submitted_at) == new_year_in_shanghai
    assert (event.case_id, event.case_number, event.actor, event.to_status, event.payload) == (
        stored.id, case.case_number, "CW1", "submitted",
        {"case_type": "hardship", "category": "living_relief", "requested_fen": 200000, "authenticated": "totp"})


def test_a_case_for_a_member_who_is_not_active_is_refused_naming_the_member_and_their_status(ready):
    from models.enums import MembershipStatus
    from models.members import Member

    with transaction(ready) as s:
        member = s.execute(select(Member).where(Member.member_number == "M0001")).scalar_one()
        member.status = MembershipStatus.suspended
        s.add(member)
    with pytest.raises(RuleViolation) as refused:
        _open(ready)
    assert str(refused.value) == "member M0001 is not an active member (suspended)"


def test_a_new_case_is_submitted_and_last_changed_at_one_moment_and_its_event_keeps_the_reason(ready, monkeypatch):
    from datetime import UTC, datetime, timedelta

    import models.time

    start, ticks = datetime(2026, 3, 2, 1, 0, tzinfo=UTC), iter(range(10_000))
    monkeypatch.setattr(models.time, "_source", lambda: start + timedelta(seconds=next(ticks)))  # a clock that moves
    case = _open(ready, reason="walk-in application")
    with transaction(ready) as s:
        stored = load_case(s, case.case_number)
        assert stored.submitted_at == stored.updated_at
    [event] = _events(ready, case.case_number)
    assert event.reason == "walk-in application"
