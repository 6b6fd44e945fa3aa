import pytest

from models.approval_routing import Route, approver_refusal, route_for
from models.enums import UnitLevel
from models.policy import load_policy
from services.settings import REPO_ROOT

THRESHOLDS = load_policy(REPO_ROOT / "config" / "policy" / "hardship-sample.toml").versions[-1].approval
GRASSROOTS = THRESHOLDS.grassroots_limit_fen
TWO = THRESHOLDS.two_approvers_above_fen
DISTRICT = THRESHOLDS.district_limit_fen


@pytest.mark.parametrize("amount,needed,level", [
    (GRASSROOTS, 1, UnitLevel.grassroots),
    (GRASSROOTS + 1, 1, UnitLevel.district),
    (TWO, 1, UnitLevel.district),
    (TWO + 1, 2, UnitLevel.district),
    (DISTRICT, 2, UnitLevel.district),
])
def test_the_amount_decides_how_many_approvers_of_which_level(amount, needed, level):
    route = route_for(amount, THRESHOLDS)
    assert (route.approvers_needed, route.level, route.refused) == (needed, level, None)


def test_nobody_may_approve_above_the_district_limit():
    route = route_for(DISTRICT + 1, THRESHOLDS)
    assert route.refused and "district limit" in route.refused
    assert approver_refusal(route, UnitLevel.district, True) == route.refused


def test_a_grassroots_approver_decides_only_small_amounts_of_their_own_unit():
    small = route_for(GRASSROOTS, THRESHOLDS)
    assert approver_refusal(small, UnitLevel.grassroots, same_unit=True) is None
    assert "own unit" in approver_refusal(small, UnitLevel.grassroots, same_unit=False)
    assert approver_refusal(small, UnitLevel.district, same_unit=False) is None
    assert "district approver" in approver_refusal(route_for(GRASSROOTS + 1, THRESHOLDS), UnitLevel.grassroots, True)


def test_without_a_policy_one_approver_suffices():
    assert route_for(10**9, None) == Route(1, UnitLevel.grassroots, None)


def test_above_the_district_limit_no_approver_is_enough_and_the_refusal_names_both_amounts():
    from models.money import format_fen

    assert route_for(DISTRICT + 1, THRESHOLDS) == Route(
        0, UnitLevel.district, f"{format_fen(DISTRICT + 1)} is above the district limit of {format_fen(DISTRICT)}")


def test_the_refusals_say_which_approver_is_needed_word_for_word():
    assert approver_refusal(route_for(GRASSROOTS + 1, THRESHOLDS), UnitLevel.grassroots, True) == (
        "this amount needs a district approver")
    assert approver_refusal(route_for(GRASSROOTS, THRESHOLDS), UnitLevel.grassroots, False) == (
        "a grassroots approver decides only on cases of their own unit")
