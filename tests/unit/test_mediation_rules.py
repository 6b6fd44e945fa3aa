"""Mediation's rules at their boundaries: the one-year limitation on day 365 and 366 and the wage
exception, acceptance on the third working day across a holiday and a make-up working day, day 15
and the extension's end, an agreement missing one mark."""

from datetime import date

import pytest

from casetypes.mediation import rules
from casetypes.mediation.rules import ClaimKind, Marks, Relationship, Tribunal


@pytest.mark.parametrize("received,passes", [(date(2026, 3, 10), True), (date(2026, 3, 11), False)])
def test_the_limitation_ends_one_year_after_the_worker_knew_day_365_in_day_366_out(received, passes):
    knew = date(2025, 3, 10)  # 2025-03-10 + 365 days = 2026-03-10, the limitation's last day
    check = rules.within_limitation(knew, received, unpaid_wages=False, employed_until=None)
    assert check.passed is passes and "art. 27" in check.detail


def test_a_year_that_holds_29_february_is_366_days_long():
    knew = date(2023, 3, 10)
    assert rules.limitation_ends(knew, unpaid_wages=False, employed_until=None) == date(2024, 3, 10)
    assert rules.within_limitation(knew, date(2024, 3, 10), unpaid_wages=False, employed_until=None).passed  # day 366
    assert rules.one_year_after(date(2024, 2, 29)) == date(2025, 2, 28)


def test_unpaid_wages_are_not_time_barred_while_the_employment_lasts():
    check = rules.within_limitation(date(2019, 1, 31), date(2026, 10, 9), unpaid_wages=True, employed_until=None)
    assert check.passed and "while the employment lasts" in check.detail


@pytest.mark.parametrize("received,passes", [(date(2026, 6, 30), True), (date(2026, 7, 1), False)])
def test_unpaid_wages_run_one_year_from_the_end_of_the_employment(received, passes):
    check = rules.within_limitation(date(2020, 1, 31), received, unpaid_wages=True, employed_until=date(2025, 6, 30))
    assert check.passed is passes


def test_a_claim_other_than_wages_runs_from_when_the_worker_knew_even_while_employed():
    assert not rules.within_limitation(date(2024, 1, 5), date(2026, 1, 6), unpaid_wages=False,
                                       employed_until=None).passed


def test_the_worker_cannot_have_known_after_the_application_was_received():
    assert not rules.within_limitation(date(2026, 10, 10), date(2026, 10, 9), unpaid_wages=False,
                                       employed_until=None).passed


def test_acceptance_is_due_on_the_third_working_day_across_national_day_and_its_make_up_saturday():
    # 2026: 1-7 October are holidays and Saturday 10 October is a working day (调休)
    assert rules.acceptance_due(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert rules.acceptance_due(date(2026, 10, 9), 3) == date(2026, 10, 13)
    assert rules.acceptance_due(date(2026, 10, 12), 3) == date(2026, 10, 15)  # an ordinary week


def test_day_15_counts_from_the_day_after_receipt_and_a_holiday_end_moves_to_the_next_working_day():
    assert rules.mediation_due(date(2026, 11, 2)) == date(2026, 11, 17)
    assert rules.mediation_due(date(2026, 10, 9)) == date(2026, 10, 26)  # the 24th is a Saturday
    assert rules.mediation_due(date(2026, 11, 2), extended_days=15) == date(2026, 12, 2)  # the extension's end


@pytest.mark.parametrize("already,more,refused", [(0, 15, None), (10, 5, None), (10, 6, "days"), (0, 0, "days")])
def test_extensions_stay_within_the_policy_limit(already, more, refused):
    got = rules.extension_refusal(already, more, 15, date(2026, 11, 17), date(2026, 11, 17))
    assert (got[0] if got else None) == refused


def test_mediation_cannot_be_extended_after_its_period_ended():
    assert rules.extension_refusal(0, 5, 15, date(2026, 11, 17), date(2026, 11, 18)) == (
        "days", "the mediation period ended 2026-11-17: it can no longer be extended")


@pytest.mark.parametrize("missing", ["worker_signed", "employer_signed", "mediator_signed", "body_sealed"])
def test_an_agreement_missing_any_one_mark_is_not_effective(missing):
    marks = Marks(**{name: name != missing for name in rules.MARK_NAMES})
    assert rules.missing_marks(marks) == [rules.MARK_NAMES[missing]]


def test_an_agreement_with_all_four_marks_is_effective():
    assert rules.missing_marks(Marks(True, True, True, True)) == []


@pytest.mark.parametrize("relationship,passes", [(Relationship.employment, True), (Relationship.dispatch, True),
                                                  (Relationship.service, False), (Relationship.commercial, False)])
def test_only_a_labour_relationship_is_in_scope(relationship, passes):
    assert rules.in_scope(relationship, date(2020, 1, 1), None).passed is passes


def test_jurisdiction_tribunal_and_consent_each_refuse_with_their_reason():
    assert not rules.within_jurisdiction("310101", {"110105": "示范区"}).passed
    assert rules.within_jurisdiction("110105", {"110105": "示范区"}).passed
    assert not rules.not_before_tribunal(Tribunal.court).passed and rules.not_before_tribunal(Tribunal.none).passed
    assert not rules.worker_consents(False).passed and rules.worker_consents(True).passed


def test_after_mediation_ends_the_worker_has_a_full_year_again_for_arbitration():
    assert rules.arbitration_deadline(date(2026, 10, 20), unpaid_wages=False, employed_until=date(2026, 9, 30)) == \
        date(2027, 10, 20)
    assert rules.arbitration_deadline(date(2026, 10, 20), unpaid_wages=True, employed_until=None) is None
    assert rules.arbitration_deadline(date(2026, 10, 20), unpaid_wages=True, employed_until=date(2026, 12, 31)) == \
        date(2027, 12, 31)


def test_a_payment_order_is_open_for_wages_injury_costs_and_compensation_only():
    assert rules.payment_order_open({ClaimKind.wages}) and rules.payment_order_open({ClaimKind.injury_medical})
    assert not rules.payment_order_open({ClaimKind.reinstatement, ClaimKind.social_insurance})
