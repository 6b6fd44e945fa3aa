"""The transition table: every listed move works for its roles, every other move is refused."""

import itertools

import pytest

from models.enums import CaseStatus, CaseType, Role
from models.transitions import BY_TYPE, find_transition, refusal_reason

ALL_ROLES = frozenset(Role)


@pytest.mark.parametrize("case_type", list(CaseType))
def test_every_listed_move_is_allowed_to_each_of_its_roles(case_type):
    for rule in BY_TYPE[case_type]:
        for role in rule.roles:
            assert refusal_reason(rule, case_type, rule.from_status, frozenset({role}), False) is None, rule


@pytest.mark.parametrize("case_type", list(CaseType))
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


def test_mediation_adds_its_own_moves_without_changing_hardship():
    assert find_transition(CaseType.mediation, CaseStatus.verifying, CaseStatus.accepted) is not None
    assert find_transition(CaseType.hardship, CaseStatus.verifying, CaseStatus.accepted) is None
