"""What finance sees of each discrepancy, field by field, and why the digest is stable.

A stored version's result digest is compared with the next run's (``same result as version N``),
so the canonical text behind it must not drift between releases: it is pinned here byte for byte.
"""

import hashlib
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models.reconciliation import (
    Discrepancy,
    DiscrepancyClass,
    ResultDigest,
    Severity,
    UnsortedInput,
    count_changes,
    severity_of,
)
from tests.unit.test_statement_matching import ours, run, theirs

C = DiscrepancyClass


def test_a_duplicate_carries_the_first_line_of_each_side_and_both_counts():
    [d], _ = run([ours("A", 150, "failed"), ours("A", 160, "succeeded")],
                 [ProviderLine("A", "p2", "succeeded", 170), ProviderLine("A", "p1", "failed", 180)])
    assert d == Discrepancy(
        C.duplicate, "A", 150, 180, "failed", "failed", "p1", "2026-03-10T02:00:00+00:00", 2, 2,
        "provider lists 2: 1.80 failed p1; 1.70 succeeded p2 / we hold 2: 1.50 failed; 1.60 succeeded",
        Severity.normal)


def ProviderLine(reference, provider_id, status, amount):  # noqa: N802 - reads like the record it builds
    return theirs(reference, amount, status, provider_id)


def test_a_duplicate_only_we_hold_names_no_provider_line():
    [d], _ = run([ours("B", 100), ours("B", 200)], [])
    assert (d.provider_amount_fen, d.provider_status, d.provider_id, d.provider_time) == (None, None, None, None)
    assert (d.our_amount_fen, d.our_status, d.our_count, d.provider_count) == (100, "succeeded", 2, 0)
    assert d.detail == "we hold 2: 1.00 succeeded; 2.00 succeeded"


def test_a_duplicate_only_the_provider_lists_is_critical_when_two_lines_paid():
    [d], _ = run([], [theirs("C", provider_id="p1"), theirs("C", provider_id="p2")])
    assert (d.our_amount_fen, d.our_status, d.our_count, d.provider_count) == (None, None, 0, 2)
    assert d.detail == "provider lists 2: 1.00 succeeded p1; 1.00 succeeded p2"
    assert d.severity == Severity.critical


@pytest.mark.parametrize("lines,tail", [(5, "p4"), (6, "p4; and 1 more")])
def test_the_detail_shows_five_lines_of_a_side_then_says_how_many_more(lines, tail):
    [d], _ = run([], [theirs("D", provider_id=f"p{i}") for i in range(lines)])
    assert d.detail == f"provider lists {lines}: " + "; ".join(f"1.00 succeeded p{i}" for i in range(4)) + f"; 1.00 succeeded {tail}"
    [ours_d], _ = run([ours("E", 100 + i) for i in range(lines)], [])
    assert ours_d.detail.endswith("1.04 succeeded" if lines == 5 else "1.04 succeeded; and 1 more")


def test_provider_duplicates_are_listed_in_a_stable_order_whatever_the_file_order():
    first, _ = run([], [ProviderLine("F", "p1", "succeeded", 100), ProviderLine("F", "p1", "failed", 100)])
    assert first[0].detail == "provider lists 2: 1.00 failed p1; 1.00 succeeded p1"
    later = theirs("G", 100, "succeeded", "p1")._replace(time="2026-03-10T03:00:00+00:00")
    earlier = theirs("G", 100, "succeeded", "p1")._replace(time="2026-03-10T11:00:00+09:00")  # 02:00 UTC
    [d], _ = run([], [later, earlier])
    assert d.provider_time == "2026-03-10T02:00:00+00:00"


def test_times_are_compared_as_instants_in_utc_however_they_are_written():
    shanghai = datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    for time in (shanghai, "2026-03-10T10:00:00+08:00", "2026-03-10T02:00:00+00:00"):
        [d], _ = run([ours("H", 150)], [theirs("H")._replace(time=time)])
        assert d.provider_time == "2026-03-10T02:00:00+00:00"
    [naive], _ = run([ours("H", 150)], [theirs("H")._replace(time="2026-03-10T02:00:00")])
    assert naive.provider_time == "2026-03-10T02:00:00"
    [blank], _ = run([ours("H", 150)], [theirs("H")._replace(time="")])
    assert blank.provider_time == ""


@pytest.mark.parametrize("args,severity", [
    ((C.amount_mismatch, 100, 101, "succeeded", "succeeded"), Severity.critical),  # the provider paid more
    ((C.amount_mismatch, 100, 100, "succeeded", "succeeded"), Severity.normal),
    ((C.amount_mismatch, 101, 100, "succeeded", "succeeded"), Severity.normal),
    ((C.amount_mismatch, 0, 1, "succeeded", "succeeded"), Severity.critical),
    ((C.amount_mismatch, None, 1, "succeeded", "succeeded"), Severity.critical),
    ((C.amount_mismatch, 1, None, "succeeded", "succeeded"), Severity.normal),
    ((C.amount_mismatch, None, None, "succeeded", "succeeded"), Severity.normal),
    ((C.amount_mismatch, 100, 101, "succeeded", "failed"), Severity.normal),
    ((C.status_mismatch, 100, 100, "failed", "succeeded"), Severity.critical),
    ((C.status_mismatch, 100, 100, "failed", "processing"), Severity.normal),
    ((C.status_mismatch, 100, 100, "succeeded", "failed"), Severity.normal),
    ((C.provider_only, None, 100, None, "succeeded"), Severity.critical),
    ((C.provider_only, None, 100, None, "failed"), Severity.normal),
    ((C.ours_only, 100, None, "failed", None), Severity.normal),
    ((C.ours_only, 100, None, "succeeded", None), Severity.normal),
    ((C.duplicate, 100, 100, "succeeded", "succeeded"), Severity.normal),  # lines not failed: none given
])
def test_severity_is_critical_only_where_money_may_have_left_unrecorded(args, severity):
    assert severity_of(*args) == severity


@pytest.mark.parametrize("not_failed,severity", [(0, Severity.normal), (1, Severity.normal), (2, Severity.critical)])
def test_a_duplicate_is_critical_when_more_than_one_provider_line_did_not_fail(not_failed, severity):
    assert severity_of(C.duplicate, 1, 1, "succeeded", "succeeded", provider_lines_not_failed=not_failed) == severity


def test_the_canonical_text_of_a_discrepancy_is_pinned_byte_for_byte():
    d = Discrepancy(C.amount_mismatch, "HA-2026-000001-P1", 100, 200, "succeeded", "succeeded", "sbx-1",
                    "2026-03-10T02:00:00+00:00", 1, 1, "付款 detail", Severity.critical)
    expected = ('["amount_mismatch","HA-2026-000001-P1",100,200,"succeeded","succeeded","sbx-1",'
                '"2026-03-10T02:00:00+00:00",1,1,"付款 detail","critical"]')
    assert d.canonical() == expected
    assert d.fingerprint == hashlib.sha256(expected.encode("utf-8")).hexdigest()


def test_the_result_digest_is_the_hash_of_the_canonical_lines_then_the_counts():
    a = Discrepancy(C.amount_mismatch, "A", 1, 2)
    b = Discrepancy(C.status_mismatch, "A", 1, 1, "failed", "succeeded")
    digest = ResultDigest()
    digest.add(a)
    digest.add(b)
    result = digest.finish(Counter({C.matched: 3, C.amount_mismatch: 1, C.status_mismatch: 1, C.duplicate: 0}))
    expected = hashlib.sha256(
        a.canonical().encode() + b"\n" + b.canonical().encode() + b"\n"
        + b'counts {"amount_mismatch":1,"matched":3,"status_mismatch":1}').hexdigest()
    assert result == expected


def test_the_same_discrepancy_twice_or_out_of_order_is_refused_by_the_digest():
    a = Discrepancy(C.amount_mismatch, "A", 1, 2)
    digest = ResultDigest()
    digest.add(a)
    with pytest.raises(UnsortedInput, match="discrepancy records are not sorted"):
        digest.add(a)
    digest = ResultDigest()
    digest.add(Discrepancy(C.status_mismatch, "A"))
    with pytest.raises(UnsortedInput):
        digest.add(Discrepancy(C.amount_mismatch, "A"))
    digest = ResultDigest()
    digest.add(Discrepancy(C.status_mismatch, "A"))
    digest.add(Discrepancy(C.amount_mismatch, "B"))  # a later reference may have any class


def test_count_changes_lists_each_outcome_whose_count_moved_with_before_and_after():
    assert count_changes({"matched": 3, "duplicate": 1}, {"matched": 3, "ours_only": 2}) == {
        "duplicate": [1, 0], "ours_only": [0, 2]}
    assert count_changes({}, {}) == {}
    assert list(count_changes({"b": 1, "a": 1}, {})) == ["a", "b"]


def test_each_kind_of_discrepancy_carries_both_sides_as_found():
    found, _ = run([ours("A", 100, "succeeded"), ours("B", 100, "failed"), ours("D", 300, "succeeded")],
                   [theirs("A", 120), theirs("B", 100, "succeeded"), theirs("C", 200)])
    t = "2026-03-10T02:00:00+00:00"
    assert found == [
        Discrepancy(C.amount_mismatch, "A", 100, 120, "succeeded", "succeeded", "sbx-A", t, 1, 1, "", Severity.critical),
        Discrepancy(C.status_mismatch, "B", 100, 100, "failed", "succeeded", "sbx-B", t, 1, 1, "", Severity.critical),
        Discrepancy(C.provider_only, "C", None, 200, None, "succeeded", "sbx-C", t, 0, 1, "", Severity.critical),
        Discrepancy(C.ours_only, "D", 300, None, "succeeded", None, None, None, 1, 0, "", Severity.normal),
    ]


def test_matching_without_a_tally_still_yields_every_discrepancy():
    from models.reconciliation import match_statement

    assert [d.reference for d in match_statement([ours("A", 1)], [theirs("A", 2), theirs("B")])] == ["A", "B"]


def test_a_refused_digest_order_names_both_keys():
    digest = ResultDigest()
    digest.add(Discrepancy(C.status_mismatch, "B"))
    with pytest.raises(UnsortedInput) as refused:
        digest.add(Discrepancy(C.amount_mismatch, "A"))
    order = list(C).index
    assert str(refused.value) == (f"discrepancy records are not sorted by reference: \"('A', {order(C.amount_mismatch)})\" "
                                  f"came after \"('B', {order(C.status_mismatch)})\"")


def test_an_outcome_counted_zero_on_one_side_and_absent_on_the_other_did_not_change():
    assert count_changes({"matched": 0}, {}) == {}
    assert count_changes({}, {"matched": 0}) == {}


def test_a_duplicates_detail_is_cut_at_400_characters():
    long_ids = [theirs("L", provider_id=f"{i}-" + "x" * 150) for i in range(3)]
    [d], _ = run([], long_ids)
    assert len(d.detail) == 400 and d.detail.startswith("provider lists 3: 1.00 succeeded 0-xxx")


def test_times_are_written_in_utc_whatever_zone_the_server_runs_in(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        [d], _ = run([ours("H", 150)], [theirs("H")._replace(time="2026-03-10T10:00:00+08:00")])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert d.provider_time == "2026-03-10T02:00:00+00:00"
