"""The pure matching core: a merge join over two reference-sorted streams, and what it calls a discrepancy."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from models.reconciliation import (
    OTHER_MONTH,
    PROVIDER_VIEW,
    UNPAID_NOT_AT_PROVIDER,
    Discrepancy,
    DiscrepancyClass,
    OurRecord,
    ProviderRecord,
    ResultDigest,
    Severity,
    UnsortedInput,
    match_statement,
    month_bounds,
    result_digest,
)
from services.payment_provider import StatementLine

C = DiscrepancyClass


def ours(reference: str, amount: int = 100, status: str = "succeeded", in_month: bool = True) -> OurRecord:
    return OurRecord(reference, amount, status, in_month)


def theirs(reference: str, amount: int = 100, status: str = "succeeded", provider_id: str = "") -> ProviderRecord:
    return ProviderRecord(reference, provider_id or f"sbx-{reference}", status, amount, "2026-03-10T02:00:00+00:00")


def run(our_side, provider_side):
    tally: Counter[str] = Counter()
    found = list(match_statement(sorted(our_side), sorted(provider_side), tally))
    return found, tally


def classes(found: list[Discrepancy]) -> list[tuple[str, str]]:
    return [(d.discrepancy.value, d.reference) for d in found]


def test_lines_that_agree_in_amount_and_status_are_matched_and_yield_nothing():
    found, tally = run([ours("A"), ours("B", 5, "failed")], [theirs("A"), theirs("B", 5, "failed")])
    assert found == [] and tally == {C.matched: 2}


def test_a_payout_still_open_with_us_agrees_with_processing_at_the_provider():
    for status in ("prepared", "submitted", "unknown"):
        assert run([ours("A", status=status)], [theirs("A", status="processing")]) == ([], {C.matched: 1})


def test_another_amount_is_an_amount_mismatch_carrying_both_amounts():
    [d], tally = run([ours("A", 100)], [theirs("A", 101)])
    assert (d.discrepancy, d.our_amount_fen, d.provider_amount_fen) == (C.amount_mismatch, 100, 101)
    assert d.severity == Severity.critical and tally == {C.amount_mismatch: 1}  # the provider paid more
    [less], _ = run([ours("A", 100)], [theirs("A", 99)])
    assert less.severity == Severity.normal


def test_a_wrong_amount_and_a_wrong_status_on_one_reference_are_two_items_in_class_order():
    found, tally = run([ours("A", 100, "succeeded")], [theirs("A", 90, "failed")])
    assert classes(found) == [("amount_mismatch", "A"), ("status_mismatch", "A")]
    assert tally == {C.amount_mismatch: 1, C.status_mismatch: 1}


def test_money_paid_on_a_payout_we_hold_as_failed_is_a_critical_status_mismatch():
    [d], _ = run([ours("A", status="failed")], [theirs("A", status="succeeded")])
    assert (d.discrepancy, d.severity) == (C.status_mismatch, Severity.critical)
    [d], _ = run([ours("A", status="succeeded")], [theirs("A", status="failed")])
    assert (d.discrepancy, d.severity) == (C.status_mismatch, Severity.normal)


def test_a_line_unknown_to_us_is_provider_only_and_critical_unless_it_failed():
    [paid], _ = run([], [theirs("X")])
    assert (paid.discrepancy, paid.severity, paid.our_amount_fen, paid.provider_id) == (
        C.provider_only, Severity.critical, None, "sbx-X")
    [failed], _ = run([], [theirs("X", status="failed")])
    assert failed.severity == Severity.normal


def test_only_a_payout_we_recorded_as_succeeded_is_a_discrepancy_when_the_provider_lacks_it():
    found, tally = run([ours("A"), ours("B", status="failed"), ours("C", status="prepared"), ours("D", status="unknown"),
                        ours("E", in_month=False)], [])
    assert classes(found) == [("ours_only", "A")]
    assert tally == {C.ours_only: 1, UNPAID_NOT_AT_PROVIDER: 3, OTHER_MONTH: 1}


def test_a_payout_of_another_month_named_on_the_statement_is_compared_like_any_other():
    assert run([ours("A", in_month=False)], [theirs("A")]) == ([], {C.matched: 1})


def test_duplicates_on_either_side_are_one_item_for_the_reference():
    [d], tally = run([ours("A")], [theirs("A", provider_id="p1"), theirs("A", provider_id="p2")])
    assert (d.discrepancy, d.our_count, d.provider_count, d.severity) == (C.duplicate, 1, 2, Severity.critical)
    assert d.detail == "provider lists 2: 1.00 succeeded p1; 1.00 succeeded p2 / we hold 1: 1.00 succeeded"
    assert tally == {C.duplicate: 1}
    [ours_twice], _ = run([ours("A"), ours("A", 200)], [theirs("A")])
    assert (ours_twice.discrepancy, ours_twice.our_count, ours_twice.severity) == (C.duplicate, 2, Severity.normal)
    [once_paid], _ = run([], [theirs("A", status="failed", provider_id="p1"), theirs("A", provider_id="p2")])
    assert once_paid.severity == Severity.normal  # one failed attempt and one payment: paid once


def test_a_long_duplicate_list_is_cut_short_in_the_detail():
    lines = [theirs("A", provider_id=f"p{i}") for i in range(8)]
    [d], _ = run([], lines)
    assert d.provider_count == 8 and d.detail.endswith("; and 3 more") and len(d.detail) <= 400


def test_input_order_does_not_change_the_result_once_each_side_is_sorted():
    rng = random.Random(11)
    our_side, provider_side = random_month(rng, 300)
    first = run(our_side, provider_side)
    for _ in range(5):
        rng.shuffle(our_side)
        rng.shuffle(provider_side)  # duplicates of one reference come out in another order too
        again = run(our_side, provider_side)
        assert again == first
        assert result_digest(again[0], again[1]) == result_digest(first[0], first[1])


def test_unsorted_input_is_refused_not_mismatched():
    with pytest.raises(UnsortedInput, match="provider records are not sorted by reference: 'A' came after 'B'"):
        list(match_statement([], [theirs("B"), theirs("A")]))
    with pytest.raises(UnsortedInput, match="our records"):
        list(match_statement([ours("B"), ours("A")], []))


def test_statement_lines_as_the_adapter_parses_them_can_be_matched_directly():
    line = StatementLine("A", "sbx-1", "succeeded", datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai")), 100, "x")
    [d], _ = run([ours("A", 150)], [line])
    assert d.provider_time == "2026-03-10T02:00:00+00:00"


@pytest.mark.parametrize("seed", range(40))
def test_the_merge_join_agrees_with_a_plain_dictionary_matcher(seed):
    rng = random.Random(seed)
    our_side, provider_side = random_month(rng, rng.randint(0, 60))
    found, tally = run(our_side, provider_side)
    expected, expected_tally = dictionary_matcher(our_side, provider_side)
    assert classes(found) == expected
    assert tally == expected_tally


def test_the_result_digest_changes_with_any_discrepancy_or_count_and_refuses_disorder():
    found, tally = run([ours("A"), ours("B")], [theirs("A", 1)])
    digest = result_digest(found, tally)
    assert result_digest(list(reversed(found)), tally) == digest
    assert result_digest(found, tally + Counter({C.matched: 1})) != digest
    assert result_digest(found[:1], tally) != digest
    streaming = ResultDigest()
    streaming.add(found[1])
    with pytest.raises(UnsortedInput):
        streaming.add(found[0])


def test_a_fingerprint_is_stable_and_names_every_field():
    d = Discrepancy(C.amount_mismatch, "A", 1, 2, "succeeded", "succeeded", "p", "t", 1, 1)
    assert d.fingerprint == Discrepancy(C.amount_mismatch, "A", 1, 2, "succeeded", "succeeded", "p", "t", 1, 1).fingerprint
    assert d.fingerprint != Discrepancy(C.amount_mismatch, "A", 1, 3, "succeeded", "succeeded", "p", "t", 1, 1).fingerprint


def test_a_month_runs_from_midnight_to_midnight_in_shanghai():
    zone = ZoneInfo("Asia/Shanghai")
    assert month_bounds("2026-03", zone) == (datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC))
    assert month_bounds("2026-12", zone)[1] == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert month_bounds("2000-01", zone)[0] == datetime(1999, 12, 31, 16, tzinfo=UTC)  # the first month accepted
    for bad in ("2026-3", "2026-13", "2026-00", "26-03-01", "abcd-ef", "2026/03", "2026-a3", "1999-12", "2026-031"):
        with pytest.raises(ValueError) as caught:
            month_bounds(bad, zone)
        assert str(caught.value) == "month must look like 2026-03", bad


def test_month_bounds_are_utc_whatever_zone_the_server_runs_in(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        start, end = month_bounds("2026-03", ZoneInfo("Asia/Shanghai"))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert (start.isoformat(), end.isoformat()) == ("2026-02-28T16:00:00+00:00", "2026-03-31T16:00:00+00:00")


# --- helpers -----------------------------------------------------------------------------------


def random_month(rng: random.Random, n: int) -> tuple[list[OurRecord], list[ProviderRecord]]:
    """Payouts and statement lines with every kind of disagreement, drawn at random."""
    our_side, provider_side = [], []
    for i in range(n):
        reference = f"R{rng.randrange(10 ** 6):06d}-{i}"
        amount = rng.randint(1, 500)
        status = rng.choice(list(PROVIDER_VIEW))
        roll = rng.random()
        if roll < 0.75 or roll > 0.97:
            our_side.append(ours(reference, amount, status, in_month=rng.random() > 0.05))
        if roll > 0.97:
            our_side.append(ours(reference, amount + 1, status))
        if roll < 0.7 or roll > 0.8:
            copies = 2 if rng.random() < 0.05 else 1
            for c in range(copies):
                provider_status = PROVIDER_VIEW[status] if rng.random() < 0.9 else rng.choice(["succeeded", "failed", "processing"])
                provider_side.append(theirs(reference, amount + (rng.random() < 0.1), provider_status, f"p{c}"))
    return our_side, provider_side


def dictionary_matcher(our_side, provider_side) -> tuple[list[tuple[str, str]], Counter[str]]:
    """The obvious way, written independently: group both sides in dictionaries, then compare."""
    mine, theirs_ = defaultdict(list), defaultdict(list)
    for r in our_side:
        mine[r.reference].append(r)
    for r in provider_side:
        theirs_[r.reference].append(r)
    found, tally = [], Counter()
    for reference in sorted(set(mine) | set(theirs_)):
        o, p = mine.get(reference, []), theirs_.get(reference, [])
        if len(o) > 1 or len(p) > 1:
            found.append(("duplicate", reference))
        elif o and p:
            wrong = []
            if o[0].amount_fen != p[0].amount_fen:
                wrong.append("amount_mismatch")
            if PROVIDER_VIEW[o[0].status] != p[0].status:
                wrong.append("status_mismatch")
            found += [(w, reference) for w in wrong]
            if not wrong:
                tally[C.matched] += 1
        elif p:
            found.append(("provider_only", reference))
        elif not o[0].in_month:
            tally[OTHER_MONTH] += 1
        elif o[0].status == "succeeded":
            found.append(("ours_only", reference))
        else:
            tally[UNPAID_NOT_AT_PROVIDER] += 1
    tally.update(C(cls) for cls, _ in found)
    return found, tally
