"""Case types are an open set: a package registers its name and prefix, its moves and its
approval thresholds; a clash with what is registered is refused by name, never shadowed."""

from dataclasses import replace

import pytest

from casetypes import REGISTRY, register, spec_for
from models.enums import CaseStatus as S
from models.enums import CaseType, Role
from models.transitions import BY_TYPE, move_rule, register_moves
from services.approvals import THRESHOLDS_BY_TYPE, register_thresholds


def test_the_three_types_of_the_federation_are_registered_with_their_prefixes():
    assert [(t, t.prefix) for t in CaseType.known()[:3]] == [("hardship", "HA"), ("mediation", "MD"),
                                                            ("insurance", "MI")]
    assert CaseType("mediation") is CaseType.mediation and CaseType(CaseType.insurance) is CaseType.insurance
    assert CaseType.from_case_number("md-2026-000001") is CaseType.mediation


def test_a_name_nobody_registered_is_refused_like_an_unknown_value():
    with pytest.raises(ValueError, match="'pension' is not a registered case type"):
        CaseType("pension")
    with pytest.raises(ValueError, match="unknown case number prefix 'PX'"):
        CaseType.from_case_number("PX-2026-000001")


@pytest.mark.parametrize("name,prefix,problem", [
    ("hardship", "HX", "clashes with a registered one"),     # a registered name with another prefix
    ("pension", "HA", "clashes with a registered one"),      # another name with a registered prefix
    ("Pension", "PE", "must be lower-case ASCII letters"),
    ("pen sion", "PE", "must be lower-case ASCII letters"),
    ("pension", "P", "must be 2 to 4 capital letters"),
    ("pension", "pe", "must be 2 to 4 capital letters"),
    ("pension", "P1", "must be 2 to 4 capital letters"),
])
def test_a_registration_that_clashes_or_is_malformed_is_refused(name, prefix, problem):
    with pytest.raises(ValueError, match=problem):
        CaseType.register(name, prefix)
    assert "pension" not in CaseType.known()


def test_registering_a_type_again_with_the_same_prefix_changes_nothing():
    before = CaseType.known()
    assert CaseType.register("hardship", "HA") is CaseType.hardship
    assert CaseType.known() == before


def test_a_second_table_of_moves_or_thresholds_for_a_type_is_refused():
    rows = (move_rule(S.submitted, S.verifying, "start", Role.caseworker),)
    with pytest.raises(ValueError, match="case type hardship has a table of moves already"):
        register_moves(CaseType.hardship, rows)
    register_moves(CaseType.hardship, BY_TYPE[CaseType.hardship])  # the same table again: nothing changes
    with pytest.raises(ValueError, match="case type hardship has its approval thresholds already"):
        register_thresholds(CaseType.hardship, lambda session, case: None)
    register_thresholds(CaseType.hardship, THRESHOLDS_BY_TYPE[CaseType.hardship])


def test_a_second_spec_for_a_registered_type_is_refused_and_the_first_stays():
    first = spec_for(CaseType.hardship)
    with pytest.raises(ValueError, match="case type hardship is registered already"):
        register(replace(first, title="another"))
    assert register(first) is first and REGISTRY[CaseType.hardship] is first


def test_a_payout_or_campaign_move_listed_twice_is_refused_when_the_table_is_built():
    from models.campaigns import CAMPAIGN_TRANSITIONS
    from models.move_table import move_table
    from models.payouts import PAYOUT_TRANSITIONS
    from models.payouts import PayoutStatus as P

    with pytest.raises(ValueError, match="the payout move submitted → failed is listed twice"):
        move_table("payout", (P.submitted, P.failed, "payout_failed"), (P.submitted, P.failed, "payout_lost"))
    assert len(PAYOUT_TRANSITIONS) == 9 and len(CAMPAIGN_TRANSITIONS) == 5
    assert PAYOUT_TRANSITIONS[(P.unknown, P.submitted)] == "payout_resent"


def test_a_clock_set_that_is_of_another_type_names_a_kind_twice_or_comes_again_is_refused():
    from models.clocks import Clock, CountedIn, clock_named, register_clocks

    def clock(case_type, kind):
        return Clock(case_type, kind, "decide", 5, CountedIn.working_days, frozenset({S.awaiting_approval}),
                     frozenset({S.approved}))

    with pytest.raises(ValueError, match="a clock registered for hardship is of another case type"):
        register_clocks(CaseType.hardship, (clock(CaseType.mediation, "decision"),))
    with pytest.raises(ValueError, match="case type hardship names a clock kind twice"):
        register_clocks(CaseType.hardship, (clock(CaseType.hardship, "decision"), clock(CaseType.hardship, "decision")))
    with pytest.raises(ValueError, match="case type mediation has its clocks already"):
        register_clocks(CaseType.mediation, (clock(CaseType.mediation, "decision"),))
    assert clock_named(CaseType.hardship, "decision") is None


def test_a_spec_refused_for_one_of_its_parts_leaves_none_of_them_registered():
    from casetypes.spec import CaseTypeSpec
    from models.clocks import Clock, CountedIn, clocks_for

    refused = CaseType.register("refused_type", "RT")
    other_types_clock = Clock(CaseType.mediation, "decision", "decide", 5, CountedIn.working_days,
                              frozenset({S.awaiting_approval}), frozenset({S.approved}))
    hardship = spec_for(CaseType.hardship)
    spec = CaseTypeSpec(refused, "refused", hardship.intake_flow, hardship.files, {},
                        moves=(move_rule(S.submitted, S.verifying, "start", Role.caseworker),),
                        thresholds=lambda session, case: None, clocks=(other_types_clock,))
    with pytest.raises(ValueError, match="a clock registered for refused_type is of another case type"):
        register(spec)
    assert refused not in BY_TYPE and refused not in THRESHOLDS_BY_TYPE and refused not in REGISTRY
    assert clocks_for(refused) == ()


def test_a_type_registered_later_gets_its_moves_and_thresholds_and_a_type_without_them_has_none():
    from types import SimpleNamespace

    from models.transitions import find_transition, moves_from
    from services.approvals import thresholds_for

    later = CaseType.register("later_type", "LT")
    bare = CaseType.register("bare_type", "BT")
    start = move_rule(S.submitted, S.verifying, "start", Role.caseworker)
    check = move_rule(S.verifying, S.awaiting_approval, "check", Role.caseworker)

    def finder(session, case):
        return ("thresholds of", case.case_number)

    try:
        register_moves(later, (start, check))
        register_moves(later, (start, check))  # the same table again: nothing changes
        register_thresholds(later, finder)
        register_thresholds(later, finder)
        assert moves_from(later, S.submitted) == (start,) and moves_from(later, S.verifying) == (check,)
        assert find_transition(later, S.verifying, S.awaiting_approval) is check
        assert find_transition(later, S.submitted, S.awaiting_approval) is None
        case = SimpleNamespace(case_type=later, case_number="LT-2026-000001")
        assert thresholds_for(None, case) == ("thresholds of", "LT-2026-000001")  # type: ignore[arg-type]

        assert moves_from(bare, S.submitted) == () and find_transition(bare, S.submitted, S.verifying) is None
        assert thresholds_for(None, SimpleNamespace(case_type=bare)) is None  # type: ignore[arg-type]
        with pytest.raises(ValueError) as refused:
            register_moves(bare, (start, move_rule(S.submitted, S.verifying, "again", Role.caseworker)))
        assert str(refused.value) == "the move submitted → verifying is listed twice"
        assert bare not in BY_TYPE
    finally:
        BY_TYPE.pop(later, None)
        THRESHOLDS_BY_TYPE.pop(later, None)


def test_every_guard_a_table_of_moves_names_is_one_the_engine_knows():
    from models.transitions import BY_TYPE
    from services.guards import unknown_guards

    assert {name for rows in BY_TYPE.values() for row in rows for name in row.guards} >= {"notice_held"}
    assert [(case_type.value, unknown_guards(rows)) for case_type, rows in BY_TYPE.items() if unknown_guards(rows)] == []


def test_a_spec_whose_moves_name_a_guard_nobody_registered_is_refused_whole():
    from casetypes.spec import CaseTypeSpec

    unguarded = CaseType.register("unguarded_type", "UG")
    hardship = spec_for(CaseType.hardship)
    spec = CaseTypeSpec(unguarded, "unguarded", hardship.intake_flow, hardship.files, {},
                        moves=(move_rule(S.awaiting_approval, S.approved, "approve", Role.approver,
                                         guards=("enrolled", "notice_held")),))
    with pytest.raises(ValueError, match="its moves name guards nobody registered: enrolled"):
        register(spec)
    assert unguarded not in BY_TYPE and unguarded not in REGISTRY
