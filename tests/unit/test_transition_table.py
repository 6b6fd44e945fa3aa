"""The transition table: every listed move works for its roles, every other move is refused."""

import itertools

import pytest

import casetypes  # noqa: F401  (registers the case types' own tables: mediation's)
from casetypes.mediation.moves import MOVES as MEDIATION
from models.enums import CaseStatus, CaseType, Role
from models.transitions import BY_TYPE, SHARED, Transition, find_transition, refusal_reason, unique_moves

ALL_ROLES = frozenset(Role)


@pytest.mark.parametrize("case_type", [CaseType.hardship, CaseType.mediation, CaseType.insurance])
def test_every_listed_move_is_allowed_to_each_of_its_roles(case_type):
    for rule in BY_TYPE[case_type]:
        for role in rule.roles:
            assert refusal_reason(rule, case_type, rule.from_status, frozenset({role}), False) is None, rule


@pytest.mark.parametrize("case_type", [CaseType.hardship, CaseType.mediation, CaseType.insurance])
def test_every_move_not_in_the_table_is_refused_and_says_what_is_possible(case_type):
    listed = {(r.from_status, r.to_status) for r in BY_TYPE[case_type]}
    for frm, to in itertools.product(CaseStatus, CaseStatus):
        if (frm, to) in listed:
            continue
        rule = find_transition(case_type, frm, to)
        assert rule is None
        why = refusal_reason(rule, case_type, frm, ALL_ROLES, False)
        assert why is not None and "no such move" in why


def test_a_role_not_listed_for_a_move_is_refused_naming_the_role_needed():
    rule = find_transition(CaseType.hardship, CaseStatus.awaiting_approval, CaseStatus.approved)
    why = refusal_reason(rule, CaseType.hardship, CaseStatus.awaiting_approval, frozenset({Role.caseworker}), False)
    assert why == "'approve' needs the role approver"


def test_the_submitter_may_not_approve_or_reject_their_own_case():
    for to in (CaseStatus.approved, CaseStatus.rejected):
        rule = find_transition(CaseType.hardship, CaseStatus.awaiting_approval, to)
        why = refusal_reason(rule, CaseType.hardship, CaseStatus.awaiting_approval, frozenset({Role.approver}), True)
        assert why is not None and why.startswith("four-eyes")


def test_the_system_may_verify_but_may_not_approve():
    verify = find_transition(CaseType.hardship, CaseStatus.submitted, CaseStatus.verifying)
    approve = find_transition(CaseType.hardship, CaseStatus.awaiting_approval, CaseStatus.approved)
    assert refusal_reason(verify, CaseType.hardship, CaseStatus.submitted, None, False) is None
    assert "by a person" in refusal_reason(approve, CaseType.hardship, CaseStatus.awaiting_approval, None, False)


def test_final_states_allow_no_further_moves():
    for status in (CaseStatus.closed, CaseStatus.withdrawn):
        why = refusal_reason(None, CaseType.hardship, status, ALL_ROLES, False)
        assert "none, it is final" in why


def test_mediation_brings_its_own_moves_without_changing_hardship():
    assert find_transition(CaseType.mediation, CaseStatus.awaiting_approval, CaseStatus.accepted) is not None
    assert find_transition(CaseType.hardship, CaseStatus.awaiting_approval, CaseStatus.accepted) is None
    assert find_transition(CaseType.mediation, CaseStatus.awaiting_approval, CaseStatus.approved) is None


# The whole table, written out again by hand: a changed role, action, flag or a lost row shows
# here (mutmut cannot mutate the module-level table itself; see docs/testing.md).
CW, AP, MD, FI, SU = "caseworker", "approver", "mediator", "finance", "supervisor"
SHARED_ROWS = {
    ("submitted", "verifying"): ("start_verification", {CW}, True, False, False),
    ("verifying", "needs_information"): ("request_information", {CW}, True, False, False),
    ("needs_information", "verifying"): ("information_received", {CW}, True, False, False),
    ("verifying", "awaiting_approval"): ("verification_passed", set(), True, False, False),
    ("verifying", "rejected"): ("verification_failed", {CW, AP}, True, False, False),
    ("awaiting_approval", "approved"): ("approve", {AP}, False, True, False),
    ("awaiting_approval", "rejected"): ("reject", {AP}, False, True, False),
    ("approved", "payout_pending"): ("release_payout", set(), True, False, False),
    ("payout_pending", "paid"): ("payout_succeeded", set(), True, False, False),
    ("payout_pending", "approved"): ("payout_failed", set(), True, False, False),
    ("paid", "closed"): ("close", {CW, SU}, True, False, True),
    ("rejected", "closed"): ("close", {CW, SU}, True, False, True),
    **{(frm, "withdrawn"): ("withdraw", {CW, SU}, False, False, True)
       for frm in ("submitted", "verifying", "needs_information", "awaiting_approval", "approved")},
}
GUARDED = {("awaiting_approval", "approved"): ("notice_held",), ("approved", "withdrawn"): ("no_payout_on_its_way",)}
MEDIATION_ROWS = {
    ("submitted", "verifying"): ("start_verification", {CW}, True, False, False),
    ("verifying", "needs_information"): ("request_information", {CW}, True, False, False),
    ("needs_information", "verifying"): ("information_received", {CW, MD}, True, False, False),
    ("verifying", "awaiting_approval"): ("checks_done", set(), True, False, False),
    ("awaiting_approval", "accepted"): ("accept_mediation", {MD, AP}, False, False, False),
    ("awaiting_approval", "rejected"): ("decline_mediation", {MD, AP}, False, False, False),
    ("accepted", "in_mediation"): ("open_session", {MD}, False, False, False),
    ("accepted", "mediation_failed"): ("record_failure", {MD}, False, False, False),
    ("in_mediation", "agreement_reached"): ("record_agreement", {MD}, False, False, False),
    ("in_mediation", "mediation_failed"): ("record_failure", {MD}, False, False, False),
    ("accepted", "referred_to_arbitration"): ("mediation_deadline_passed", set(), True, False, False),
    ("in_mediation", "referred_to_arbitration"): ("mediation_deadline_passed", set(), True, False, False),
    ("mediation_failed", "referred_to_arbitration"): ("refer_to_arbitration", {MD}, True, False, False),
    ("agreement_reached", "closed"): ("close", {MD, SU}, True, False, True),
    ("referred_to_arbitration", "closed"): ("close", {MD, SU}, True, False, True),
    ("rejected", "closed"): ("close", {CW, MD, SU}, True, False, True),
    **{(frm, "withdrawn"): ("withdraw", {CW, MD, SU}, False, False, True)
       for frm in ("submitted", "verifying", "needs_information", "awaiting_approval", "accepted", "in_mediation")},
}
MEDIATION_GUARDED = {("awaiting_approval", "accepted"): ("mediation_checks_passed",),
                     ("in_mediation", "agreement_reached"): ("agreement_effective",)}


def _rows(case_type):
    return {(r.from_status.value, r.to_status.value): (r.action, {role.value for role in r.roles}, r.system,
                                                       r.not_by_submitter, r.terminal)
            for r in BY_TYPE[case_type]}


@pytest.mark.parametrize("case_type,expected,guarded", [
    (CaseType.hardship, SHARED_ROWS, GUARDED),
    (CaseType.insurance, {**SHARED_ROWS, ("verifying", "approved"): ("approve_automatically", set(), True, False, False)},
     GUARDED),
    (CaseType.mediation, MEDIATION_ROWS, MEDIATION_GUARDED),
])
def test_the_table_holds_exactly_the_moves_the_lifecycle_describes(case_type, expected, guarded):
    assert _rows(case_type) == expected
    assert len(BY_TYPE[case_type]) == len(expected), "a move is listed twice"
    assert {(r.from_status.value, r.to_status.value): r.guards for r in BY_TYPE[case_type] if r.guards} == guarded


def test_a_row_built_for_the_table_carries_every_flag_it_was_given():
    from models.transitions import move_rule as _t

    row = _t(CaseStatus.awaiting_approval, CaseStatus.approved, "approve", Role.approver, Role.supervisor,
             system=True, four_eyes=True)
    assert (row.from_status, row.to_status, row.action) == (CaseStatus.awaiting_approval, CaseStatus.approved, "approve")
    assert row.roles == frozenset({Role.approver, Role.supervisor})
    assert (row.system, row.not_by_submitter, row.terminal) == (True, True, False)
    plain = _t(CaseStatus.submitted, CaseStatus.verifying, "start", Role.caseworker)
    assert (plain.system, plain.not_by_submitter, plain.terminal) == (False, False, False)


@pytest.mark.parametrize("to,terminal", [(CaseStatus.closed, True), (CaseStatus.withdrawn, True),
                                         (CaseStatus.rejected, False), (CaseStatus.paid, False)])
def test_only_a_move_to_closed_or_withdrawn_finishes_the_case(to, terminal):
    from models.transitions import move_rule as _t

    assert _t(CaseStatus.approved, to, "x", Role.caseworker).terminal is terminal


def test_a_refused_move_lists_exactly_the_moves_possible_from_there():
    why = refusal_reason(None, CaseType.hardship, CaseStatus.verifying, ALL_ROLES, False)
    assert why == ("no such move for a hardship case (from verifying: awaiting_approval, needs_information, "
                   "rejected, withdrawn)")
    why = refusal_reason(None, CaseType.mediation, CaseStatus.in_mediation, ALL_ROLES, False)
    assert why == ("no such move for a mediation case (from in_mediation: agreement_reached, mediation_failed, "
                   "referred_to_arbitration, withdrawn)")
    assert refusal_reason(None, CaseType.hardship, CaseStatus.closed, ALL_ROLES, False) == (
        "no such move for a hardship case (from closed: none, it is final)")


def test_each_refusal_names_the_move_and_what_it_needs():
    approve = find_transition(CaseType.hardship, CaseStatus.awaiting_approval, CaseStatus.approved)
    close = find_transition(CaseType.hardship, CaseStatus.paid, CaseStatus.closed)
    assert refusal_reason(approve, CaseType.hardship, CaseStatus.awaiting_approval, None, False) == (
        "'approve' must be done by a person, not by the system")
    assert refusal_reason(close, CaseType.hardship, CaseStatus.paid, frozenset({Role.finance}), False) == (
        "'close' needs the role caseworker or supervisor")
    assert refusal_reason(approve, CaseType.hardship, CaseStatus.awaiting_approval, frozenset({Role.approver}),
                          True) == "four-eyes rule: the person who submitted the case may not 'approve' it"
    assert refusal_reason(close, CaseType.hardship, CaseStatus.paid, frozenset({Role.caseworker}), True) is None
    assert refusal_reason(close, CaseType.hardship, CaseStatus.paid, None, True) is None


def test_moves_from_a_status_are_those_of_the_case_type_only():
    from models.transitions import moves_from

    assert {m.to_status for m in moves_from(CaseType.hardship, CaseStatus.in_mediation)} == set()
    assert {m.to_status for m in moves_from(CaseType.mediation, CaseStatus.accepted)} == {
        CaseStatus.in_mediation, CaseStatus.mediation_failed, CaseStatus.referred_to_arbitration, CaseStatus.withdrawn}


def test_a_move_listed_twice_is_refused_when_the_table_is_built():
    again = Transition(CaseStatus.paid, CaseStatus.closed, "close_again", frozenset({Role.supervisor}))
    with pytest.raises(ValueError) as caught:
        unique_moves((*SHARED, again))
    assert str(caught.value) == "the move paid → closed is listed twice"
    assert unique_moves(MEDIATION) == MEDIATION


def test_each_refusal_comes_as_its_own_error_class_naming_the_rule():
    from models.errors import FourEyesViolation, NoSuchMove, PersonRequired, RoleRequired, TransitionRefused
    from models.transitions import refusal

    approve = find_transition(CaseType.hardship, CaseStatus.awaiting_approval, CaseStatus.approved)
    waiting = CaseStatus.awaiting_approval
    assert refusal(None, CaseType.hardship, CaseStatus.closed, ALL_ROLES, False)[0] is NoSuchMove
    assert refusal(approve, CaseType.hardship, waiting, None, False)[0] is PersonRequired
    assert refusal(approve, CaseType.hardship, waiting, frozenset({Role.caseworker}), False)[0] is RoleRequired
    assert refusal(approve, CaseType.hardship, waiting, frozenset({Role.approver}), True)[0] is FourEyesViolation
    assert refusal(approve, CaseType.hardship, waiting, frozenset({Role.approver}), False) is None
    assert all(issubclass(kind, TransitionRefused) for kind in (NoSuchMove, PersonRequired, RoleRequired))
    error = RoleRequired("HA-2026-000001", "awaiting_approval", "approved", "'approve' needs the role approver", "approve")
    assert (error.rule, error.case_number, error.from_status, error.to_status) == (
        "approve", "HA-2026-000001", "awaiting_approval", "approved")
    assert str(error) == ("case HA-2026-000001: cannot move from awaiting_approval to approved: "
                          "'approve' needs the role approver")
