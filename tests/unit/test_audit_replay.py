"""What the trail says each row must be, replayed from events alone, and every row that differs."""

from __future__ import annotations

import pytest

from models.audit_replay import (
    CaseOnTrail,
    CaseRow,
    LedgerOfCase,
    ObligationRow,
    PayoutOnTrail,
    PayoutRow,
    TrailEvent,
    disagreements,
    is_payout_event,
    payout_refusal,
    read_trail,
)

REF = "HA-2026-000001-P1"


def event(seq, action, frm=None, to=None, case_id=1, **payload):
    return TrailEvent(seq, action, case_id, "HA-2026-000001", frm, to, payload)


def paid_case_events() -> list[TrailEvent]:
    return [
        event(1, "case_opened", None, "submitted"),
        event(2, "start_verification", "submitted", "verifying"),
        event(3, "verification_passed", "verifying", "awaiting_approval"),
        event(4, "obligations_opened", obligations=[{"seq": 1, "direction": "out", "amount_fen": 150000},
                                                    {"seq": 2, "direction": "in", "amount_fen": 999}]),
        event(5, "approve", "awaiting_approval", "approved", approved_fen=150000),
        event(6, "release_payout", "approved", "payout_pending", reference=REF, amount_fen=150000),
        event(7, "payout_submitted", "prepared", "submitted", reference=REF, amount_fen=150000),
        event(8, "payout_succeeded", "submitted", "succeeded", reference=REF, amount_fen=150000),
        event(9, "payout_succeeded", "payout_pending", "paid", reference=REF),
    ]


def test_a_paid_case_is_folded_from_its_events():
    told = read_trail(paid_case_events())[1]
    assert (told.status, told.approved_fen, told.approved_at_seq, told.paid_fen) == ("paid", 150000, 5, 150000)
    assert told.owed == {1: 150000}  # what is owed back to us is not paid out
    assert told.payouts == {REF: PayoutOnTrail(150000, "succeeded", 8)}


def test_a_payout_event_is_told_from_a_case_move_of_the_same_name_by_its_statuses():
    assert is_payout_event(event(8, "payout_failed", "submitted", "failed"))
    assert not is_payout_event(event(9, "payout_failed", "payout_pending", "approved"))
    assert not is_payout_event(event(9, "approve", "submitted", "approved"))


def test_events_without_a_case_are_left_out_and_a_later_approval_wins():
    told = read_trail([event(1, "programme_added", case_id=None),
                       event(2, "approve", "awaiting_approval", "approved", approved_fen=100),
                       event(3, "payout_failed", "payout_pending", "approved"),
                       event(4, "approve", "awaiting_approval", "approved", approved_fen=200)])
    assert list(told) == [1] and (told[1].approved_fen, told[1].approved_at_seq, told[1].status) == (200, 4, "approved")


def _trail() -> CaseOnTrail:
    return read_trail(paid_case_events()[:6])[1]


def test_a_payout_that_agrees_with_the_trail_may_be_sent():
    assert payout_refusal(_trail(), approved_fen=150000, obligation_seq=1, reference=REF, amount_fen=150000) is None


@pytest.mark.parametrize("approved,seq,amount,said", [
    (1900000, 1, 150000, "the case row says ¥19,000.00 approved, the approval's audit event (seq 5) ¥1,500.00"),
    (150000, 1, 1900000, "its row asks ¥19,000.00, the trail owes ¥1,500.00 for obligation 1"),
    (150000, 2, 150000, "its row asks ¥1,500.00, the trail owes ¥0.00 for obligation 2"),
])
def test_a_payout_that_disagrees_with_the_trail_is_refused_saying_where(approved, seq, amount, said):
    why = payout_refusal(_trail(), approved_fen=approved, obligation_seq=seq, reference=REF, amount_fen=amount)
    assert why == f"payout {REF} of case HA-2026-000001: {said}; nothing is sent"


def test_a_payout_without_an_approval_on_the_trail_or_with_obligations_that_do_not_add_up_is_refused():
    unapproved = read_trail(paid_case_events()[:4])[1]
    assert "records no approved amount" in payout_refusal(unapproved, approved_fen=150000, obligation_seq=1,
                                                           reference=REF, amount_fen=150000)
    short = _trail()
    short.owed = {1: 100000}
    assert "do not add up to the approved amount" in payout_refusal(short, approved_fen=150000, obligation_seq=1,
                                                                    reference=REF, amount_fen=100000)
    recorded = _trail()
    recorded.payouts[REF] = PayoutOnTrail(140000, "prepared", 6)
    assert "its audit event (seq 6) ¥1,400.00" in payout_refusal(recorded, approved_fen=150000, obligation_seq=1,
                                                                  reference=REF, amount_fen=150000)


def _rows(**changes):
    case = dict(id=1, case_number="HA-2026-000001", status="paid", approved_fen=150000, paid_fen=150000)
    payout = dict(case_id=1, reference=REF, amount_fen=150000, status="succeeded")
    ledger = LedgerOfCase(paid_fen=150000, reserved_fen=0, posting_keys={f"pay:{REF}"})
    case.update(changes.get("case", {}))
    payout.update(changes.get("payout", {}))
    for key, value in changes.get("ledger", {}).items():
        setattr(ledger, key, value)
    return ([CaseRow(**case)], [PayoutRow(**payout)], [ObligationRow(1, 1, True, changes.get("owed", 150000))],
            {1: ledger})


def test_rows_that_are_what_the_trail_says_are_explained():
    assert disagreements(read_trail(paid_case_events()), *_rows()) == []


@pytest.mark.parametrize("changes,said", [
    ({"case": {"status": "closed"}}, "case HA-2026-000001: status is closed, the trail says paid"),
    ({"case": {"approved_fen": 1900000}}, "case HA-2026-000001: approved_fen is 1900000, the trail approved 150000 (seq 5)"),
    ({"case": {"paid_fen": 0}}, "case HA-2026-000001: paid_fen is 0, its payouts on the trail paid 150000"),
    ({"payout": {"amount_fen": 1}}, f"payout {REF} of case HA-2026-000001: amount_fen is 1, the trail says 150000"),
    ({"payout": {"status": "unknown"}}, f"payout {REF} of case HA-2026-000001: status is unknown, the trail says succeeded"),
    ({"payout": {"reference": "HA-2026-000001-P9"}},
     "payout HA-2026-000001-P9 of case HA-2026-000001: no event on the trail prepared it"),
    ({"owed": 7}, "obligation 1 of case HA-2026-000001: amount_fen is 7, the trail opened it for 150000"),
    ({"ledger": {"posting_keys": set()}},
     f"ledger: posting pay:{REF} is missing; the trail says payout {REF} succeeded (seq 8)"),
    ({"ledger": {"paid_fen": 0}}, "ledger: case HA-2026-000001 shows 0 fen paid, the trail paid 150000"),
    ({"ledger": {"reserved_fen": 150000}},
     "ledger: case HA-2026-000001 still holds 150000 fen reserved; the trail says it is paid"),
])
def test_each_row_the_trail_does_not_explain_is_named(changes, said):
    assert disagreements(read_trail(paid_case_events()), *_rows(**changes)) == [said]


def test_a_case_without_events_and_an_amount_approved_off_the_trail_are_named():
    cases = [CaseRow(2, "HA-2026-000002", "submitted", None, 0)]
    assert disagreements({}, cases, [], [], {}) == ["case HA-2026-000002: no event on the trail opened it"]
    opened = read_trail([event(1, "case_opened", None, "submitted", case_id=2)])
    assert disagreements(opened, [CaseRow(2, "HA-2026-000002", "submitted", 500, 0)], [], [], {}) == [
        "case HA-2026-000002: approved_fen is 500, the trail approved nothing"]
