"""The rules of an insurance claim at their boundaries: the last day of cover across month ends and
leap years, ages 16 and 60 in and 15 and 61 out, waiting day 29 and 30, the last day of the
notification window and of the claim deadline, a duplicate, cover ended by a payout, a yearly cap
used up to the last fen, and the documents still missing in the product's order."""

from datetime import date, timedelta

import pytest

from casetypes.insurance import rules
from casetypes.insurance.products import RULE_CODES, load_products
from models.policy import Document
from services.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "config" / "products" / "insurance-sample.toml"
PRODUCTS = load_products(SAMPLE).versions[0]
WOMEN = PRODUCTS.product("women_major_illness")  # 16–60, waits 30 days, notify 30, claim 730, ends after payout
MEDICAL = PRODUCTS.product("supplementary_medical")  # notify 10, claim 365, yearly cap 20,000.00
INJURY = PRODUCTS.product("accidental_injury")  # no waiting period


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("start,months,last", [
    (date(2026, 1, 31), 1, date(2026, 2, 27)),  # 31 January + 1 month is 28 February; cover ends the day before
    (date(2024, 1, 31), 1, date(2024, 2, 28)),  # a leap year: 29 February, and the day before
    (date(2026, 1, 1), 12, date(2026, 12, 31)),
    (date(2026, 3, 15), 24, date(2028, 3, 14)),
    (date(2023, 3, 1), 12, date(2024, 2, 29)),  # a year of cover that ends on a leap day
    (date(2024, 2, 29), 12, date(2025, 2, 27)),  # 29 February + 1 year is 28 February 2025
    (date(2024, 3, 1), 12, date(2025, 2, 28)),
])
def test_cover_ends_the_day_before_the_same_date_months_later(start, months, last):
    assert rules.cover_until(start, months) == last


def test_the_first_day_of_cover_is_day_0():
    start = date(2026, 3, 1)
    assert rules.day_of_cover(start, start) == 0
    assert rules.day_of_cover(start, date(2026, 3, 30)) == 29
    assert rules.day_of_cover(date(2024, 2, 1), date(2024, 3, 1)) == 29  # across a leap day


def test_an_age_is_reached_on_the_birthday_and_not_the_day_before():
    assert rules.age_on(date(2010, 3, 1), date(2026, 3, 1)) == 16
    assert rules.age_on(date(2010, 3, 1), date(2026, 2, 28)) == 15


def test_a_29_february_birthday_is_reached_on_29_february_in_a_leap_year():
    assert rules.age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    assert rules.age_on(date(2008, 2, 29), date(2024, 2, 28)) == 15


def test_a_29_february_birthday_is_reached_on_1_march_in_other_years():
    # rules.age_on's docstring: "a birthday on 29 February is reached on 1 March in other years"
    assert rules.age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert rules.age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17


def test_a_member_born_on_29_february_is_still_60_on_28_february_of_a_common_year():
    # the 61st birthday of 1964-02-29 falls in 2025, a common year: reached on 1 March 2025
    assert rules.age_allowed(date(1964, 2, 29), date(2025, 2, 28), WOMEN).passed
    assert not rules.age_allowed(date(1964, 2, 29), date(2025, 3, 1), WOMEN).passed


# --- enrolment ---------------------------------------------------------------------------------


START = date(2026, 3, 1)
LAST = rules.cover_until(START, WOMEN.cover_months)  # 2028-02-29


@pytest.mark.parametrize("event,passes", [
    (START, True), (LAST, True), (START - timedelta(days=1), False), (LAST + timedelta(days=1), False),
])
def test_an_event_is_covered_from_the_first_to_the_last_day_of_cover(event, passes):
    assert LAST == date(2028, 2, 29)
    check = rules.covered(START, LAST, event)
    assert (check.rule, check.passed) == ("not_enrolled", passes)
    assert ("outside the cover" in check.detail) is not passes


@pytest.mark.parametrize("cover_from,cover_to", [(None, None), (START, None), (None, LAST)])
def test_an_event_without_an_enrolment_is_not_covered(cover_from, cover_to):
    check = rules.covered(cover_from, cover_to, START)
    assert (check.rule, check.passed) == ("not_enrolled", False)
    assert "not enrolled" in check.detail


@pytest.mark.parametrize("birth,passes", [
    (date(2010, 3, 1), True),  # 16 on the first day of cover: the birthday on the start day counts
    (date(2010, 3, 2), False),  # 15 on the first day of cover, 16 the next day
    (date(1965, 3, 2), True),  # 60 on the first day of cover, 61 the next day
    (date(1965, 3, 1), False),  # 61 on the first day of cover
])
def test_ages_16_to_60_on_the_first_day_of_cover_are_accepted(birth, passes):
    check = rules.age_allowed(birth, START, WOMEN)
    assert (check.rule, check.passed) == ("age", passes)
    assert "16 to 60" in check.detail


def test_the_age_is_taken_on_the_first_day_of_cover_not_the_day_of_the_event():
    # 60 when cover started; 61 by the time of any event a year later: still accepted
    assert rules.age_allowed(date(1965, 3, 2), START, WOMEN).passed
    assert rules.age_on(date(1965, 3, 2), START + timedelta(days=365)) == 61


# --- waiting period ----------------------------------------------------------------------------


@pytest.mark.parametrize("day,passes", [(0, False), (29, False), (30, True), (61, True)])
def test_an_event_on_day_29_of_cover_is_in_the_waiting_period_and_day_30_is_not(day, passes):
    check = rules.past_waiting(day, WOMEN)
    assert (check.rule, check.passed) == ("waiting_period", passes)
    assert f"day {day} of cover" in check.detail and "first 30 days" in check.detail


def test_a_product_without_a_waiting_period_covers_day_0():
    assert rules.past_waiting(0, INJURY).passed


# --- notification and claim deadlines ----------------------------------------------------------

EVENT = date(2026, 3, 1)


@pytest.mark.parametrize("product,notified,passes", [
    (WOMEN, date(2026, 3, 31), True), (WOMEN, date(2026, 4, 1), False),  # a window of 30 days
    (MEDICAL, date(2026, 3, 11), True), (MEDICAL, date(2026, 3, 12), False),  # a window of 10 days
    (MEDICAL, EVENT, True),
])
def test_a_notification_on_the_last_day_of_the_window_is_in_time_and_the_next_day_late(product, notified, passes):
    check = rules.notified_in_time(EVENT, notified, product)
    assert (check.rule, check.passed) == ("late_notice", passes)
    assert f"notified {(notified - EVENT).days} days after" in check.detail


@pytest.mark.parametrize("product,received,passes", [
    (MEDICAL, date(2027, 3, 1), True), (MEDICAL, date(2027, 3, 2), False),  # 365 days
    (WOMEN, date(2028, 2, 29), True), (WOMEN, date(2028, 3, 1), False),  # 730 days across 29 February 2028
])
def test_a_claim_on_the_deadline_day_is_in_time_and_the_next_day_late(product, received, passes):
    check = rules.claimed_in_time(EVENT, received, product)
    assert (check.rule, check.passed) == ("late_claim", passes)
    assert f"deadline is {product.claim_within_days} days" in check.detail


# --- duplicates, cover ended, caps ------------------------------------------------------------


def test_a_claim_for_an_event_claimed_already_is_a_duplicate_naming_the_earlier_claim():
    assert rules.not_duplicate([]).passed
    check = rules.not_duplicate(["MI-2026-0007"])
    assert (check.rule, check.passed) == ("duplicate", False)
    assert "MI-2026-0007" in check.detail


def test_cover_ends_with_a_payout_when_the_products_terms_say_so():
    assert rules.cover_not_ended(WOMEN, []).passed
    check = rules.cover_not_ended(WOMEN, ["MI-2026-0003"])
    assert (check.rule, check.passed) == ("cover_ended", False)
    assert "MI-2026-0003" in check.detail


def test_cover_goes_on_after_a_payout_when_the_products_terms_do_not_end_it():
    assert not MEDICAL.ends_after_payout
    check = rules.cover_not_ended(MEDICAL, ["MI-2026-0003"])
    assert (check.rule, check.passed) == ("cover_ended", True)


@pytest.mark.parametrize("paid,passes,left", [
    (0, True, "¥20,000.00"), (2_000_000 - 1, True, "¥0.01"), (2_000_000, False, "¥0.00"), (2_500_000, False, "¥0.00"),
])
def test_a_yearly_cap_with_one_fen_left_is_not_exhausted_and_with_none_left_it_is(paid, passes, left):
    check = rules.cap_remaining(MEDICAL, paid)
    assert (check.rule, check.passed) == ("cap_exhausted", passes)
    assert check.detail.startswith(f"{left} left of the yearly cap of ¥20,000.00")


def test_a_product_without_a_yearly_cap_is_never_exhausted():
    assert WOMEN.yearly_cap_fen is None
    assert rules.cap_remaining(WOMEN, 10_000_000).passed


@pytest.mark.parametrize("amount,passes", [(0, False), (1, True)])
def test_a_claim_must_come_to_more_than_nothing(amount, passes):
    check = rules.pays_something(amount)
    assert (check.rule, check.passed) == ("no_benefit", passes)


# --- documents ---------------------------------------------------------------------------------


def test_the_missing_documents_are_listed_in_the_products_order_whatever_order_they_came_in():
    received = {"medical_invoices", "resident_id", "application_form", "income_proof"}
    assert rules.missing_documents(MEDICAL, received) == [
        Document.membership_proof, Document.diagnosis, Document.discharge_summary]


def test_no_document_is_missing_once_all_are_received_and_every_one_is_before_any_is():
    assert rules.missing_documents(WOMEN, {d.value for d in WOMEN.documents}) == []
    assert rules.missing_documents(WOMEN, set()) == list(WOMEN.documents)


# --- every check names its rule ----------------------------------------------------------------


def test_every_check_is_named_by_a_rule_code_the_product_file_words():
    checks = [
        rules.covered(None, None, EVENT), rules.age_allowed(date(1990, 1, 1), START, WOMEN),
        rules.past_waiting(0, WOMEN), rules.notified_in_time(EVENT, EVENT, WOMEN),
        rules.claimed_in_time(EVENT, EVENT, WOMEN), rules.not_duplicate([]), rules.cover_not_ended(WOMEN, []),
        rules.cap_remaining(MEDICAL, 0), rules.pays_something(1),
    ]
    assert sorted(check.rule for check in checks) == sorted(RULE_CODES)
    assert all(check.rule in PRODUCTS.rejections for check in checks)
