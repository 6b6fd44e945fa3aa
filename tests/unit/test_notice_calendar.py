"""The public-notice period over the Chinese statutory calendar, and the campaign rules as data."""

from datetime import date

import pytest

from models.campaigns import (
    CampaignKind,
    CampaignStatus,
    artifact_key,
    campaign_move_refusal,
    check_code,
    chunks,
    default_code,
)
from models.errors import InputError
from models.working_days import CalendarNotCovered, first_working_day, notice_end

S = CampaignStatus


def test_five_working_days_from_a_monday_in_an_ordinary_week_end_on_friday():
    assert notice_end(date(2026, 11, 2), 5) == date(2026, 11, 6)


def test_a_notice_opened_on_a_saturday_starts_counting_on_monday():
    assert notice_end(date(2026, 11, 7), 5) == date(2026, 11, 13)


def test_a_notice_of_one_working_day_ends_on_its_first_working_day():
    assert notice_end(date(2026, 11, 4), 1) == date(2026, 11, 4)


def test_the_national_day_week_does_not_count():
    # Mon 28 Sep, Tue 29, Wed 30, then 1-7 October off, Thu 8, Fri 9.
    assert notice_end(date(2026, 9, 28), 5) == date(2026, 10, 9)


def test_the_adjusted_working_saturday_after_national_day_counts():
    # Wed 30 Sep, Thu 8 Oct, Fri 9, Sat 10 (调休 working day), Mon 12.
    assert notice_end(date(2026, 9, 30), 5) == date(2026, 10, 12)


def test_a_notice_opened_during_the_national_day_holiday_starts_after_it():
    assert first_working_day(date(2026, 10, 3)) == date(2026, 10, 8)
    assert notice_end(date(2026, 10, 3), 5) == date(2026, 10, 13)


def test_an_adjusted_working_sunday_is_the_first_day_of_a_notice_opened_on_it():
    # Sun 20 Sep 2026 is worked in exchange for the National Day holiday; 25-27 Sep is Mid-Autumn.
    assert notice_end(date(2026, 9, 20), 5) == date(2026, 9, 24)
    assert notice_end(date(2026, 9, 21), 5) == date(2026, 9, 28)


def test_the_spring_festival_2026_holiday_is_skipped_and_the_working_saturday_before_it_counts():
    # Wed 11 Feb, Thu 12, Fri 13, Sat 14 (working), 15-23 Feb off, Tue 24.
    assert notice_end(date(2026, 2, 11), 5) == date(2026, 2, 24)


def test_the_spring_festival_2025_holiday_with_a_working_sunday_before_it():
    # Fri 24 Jan, Sun 26 (working), Mon 27, 28 Jan-4 Feb off, Wed 5 Feb, Thu 6.
    assert notice_end(date(2025, 1, 24), 5) == date(2025, 2, 6)


def test_a_notice_running_into_a_year_without_a_published_calendar_is_refused_not_guessed():
    with pytest.raises(CalendarNotCovered, match="2027"):
        notice_end(date(2026, 12, 28), 5)


def test_a_notice_of_no_working_days_is_refused():
    with pytest.raises(InputError, match="working_days"):
        notice_end(date(2026, 11, 2), 0)


def test_student_aid_goes_through_a_notice_and_seasonal_relief_does_not():
    assert campaign_move_refusal(CampaignKind.student_aid, S.open, S.notice) is None
    assert campaign_move_refusal(CampaignKind.student_aid, S.notice, S.approving) is None
    assert "public notice" in campaign_move_refusal(CampaignKind.student_aid, S.open, S.approving)
    assert campaign_move_refusal(CampaignKind.winter_relief, S.open, S.approving) is None
    assert "no public notice" in campaign_move_refusal(CampaignKind.summer_relief, S.open, S.notice)


def test_a_campaign_never_moves_backwards_or_skips_payment():
    assert "cannot move" in campaign_move_refusal(CampaignKind.student_aid, S.paying, S.approving)
    assert "cannot move" in campaign_move_refusal(CampaignKind.winter_relief, S.approving, S.done)


def test_default_codes_make_stable_artifact_keys():
    assert default_code(CampaignKind.student_aid, 2026) == "student-aid-2026"
    assert artifact_key(check_code(" Student-Aid-2026 ")) == "campaign-student-aid-2026"


@pytest.mark.parametrize("code", ["x", "student aid", "-leading", "trailing-", "学生"])
def test_codes_that_cannot_be_part_of_an_artifact_key_are_refused(code):
    with pytest.raises(InputError, match="code"):
        check_code(code)


def test_chunks_cover_every_item_once_in_order():
    parts = list(chunks(list(range(7)), 3))
    assert parts == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []
