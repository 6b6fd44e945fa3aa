"""Clock arithmetic on the statutory calendar: the day a clock starts does not count, working
days skip the National Day holiday and count its make-up Saturday, a calendar-day period that
ends on a holiday ends on the next working day."""

from datetime import date

import pytest

from casetypes.mediation.moves import CLOCKS
from models.clocks import clock_named, clocks_for
from models.enums import CaseStatus, CaseType
from models.errors import InputError
from models.working_days import days_after, working_days_after

ACCEPTANCE = clock_named(CaseType.mediation, "acceptance", CLOCKS)
MEDIATION = clock_named(CaseType.mediation, "mediation", CLOCKS)


def test_three_working_days_from_the_eve_of_national_day_end_on_the_make_up_saturday():
    # 2026: 1-7 October are holidays, Saturday 10 October is a working day (调休).
    assert ACCEPTANCE.due_on(date(2026, 9, 30)) == date(2026, 10, 10)


def test_the_day_received_does_not_count_even_when_it_is_a_working_day():
    assert working_days_after(date(2026, 10, 12), 1) == date(2026, 10, 13)
    assert working_days_after(date(2026, 10, 12), 3) == date(2026, 10, 15)


def test_fifteen_days_count_calendar_days_from_the_day_after_receipt():
    assert MEDIATION.due_on(date(2026, 9, 30)) == date(2026, 10, 15)


def test_a_period_of_days_ending_in_a_holiday_ends_on_the_next_working_day():
    assert days_after(date(2026, 9, 16), 15) == date(2026, 10, 8)  # 1 October is National Day
    assert days_after(date(2026, 10, 1), 10) == date(2026, 10, 12)  # Sunday 11 October is a rest day


@pytest.mark.parametrize("count", [0, -1])
def test_a_period_needs_at_least_one_day(count):
    with pytest.raises(InputError, match="at least 1"):
        working_days_after(date(2026, 10, 12), count)
    with pytest.raises(InputError, match="at least 1"):
        days_after(date(2026, 10, 12), count)


def test_mediation_has_its_two_legal_clocks_and_hardship_none():
    assert {c.kind for c in clocks_for(CaseType.mediation)} == {"acceptance", "mediation"}
    assert clocks_for(CaseType.hardship) == ()
    assert MEDIATION.breach_to == CaseStatus.referred_to_arbitration and ACCEPTANCE.breach_to is None
    assert CaseStatus.accepted in ACCEPTANCE.met_on and CaseStatus.agreement_reached in MEDIATION.met_on
    assert len({(c.case_type, c.kind) for c in CLOCKS}) == len(CLOCKS)


def test_each_clock_says_how_its_last_day_was_computed():
    assert ACCEPTANCE.basis == "3 working days on the statutory calendar from the day after it started"
    assert MEDIATION.basis == "15 days from the day after it started"


def test_a_clock_ending_in_a_year_whose_holidays_are_not_known_gets_its_earliest_last_day_marked_provisional():
    # chinese-calendar knows 2026 but not 2027: Friday 1 January 2027 counts as a working day here,
    # so the provisional last day is never later than the true one
    assert ACCEPTANCE.due_on_or_provisional(date(2026, 12, 30)) == (date(2027, 1, 4), True)
    assert MEDIATION.due_on_or_provisional(date(2026, 12, 28)) == (date(2027, 1, 12), True)
    assert ACCEPTANCE.due_on_or_provisional(date(2026, 10, 9)) == (date(2026, 10, 13), False)
