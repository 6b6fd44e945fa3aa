"""The resolver's paths one by one, against the real sandbox: a request that never arrived is
sent again with the same reference, a provider that cannot answer leaves the payout open with
the error noted, and only open payouts old enough are picked up."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from models.enums import CaseStatus
from models.errors import OutcomeUnknown, RetryableError
from models.ledger import LedgerPosting
from models.payouts import Payout, PayoutStatus
from services import approvals, ledger, payouts
from services.cases import load_case
from services.db import transaction
from services.payment_provider import Transfer
from tests import factories
from tests.factories import as_staff
from tests.integration.test_payouts import approved, provider_for, sandbox, sandbox_url, transfers_for  # noqa: F401


class RequestLostOnTheWay:
    """A provider link that drops the create request before it leaves: the outcome is unknown
    to us, and the provider never saw it."""

    def create_transfer(self, *args, **kwargs):
        raise OutcomeUnknown("connection reset before the request was sent")

    def query_transfer(self, reference):
        raise AssertionError("not asked")


class ProviderCannotAnswer:
    """A provider that is down for queries."""

    def __init__(self, message="provider busy, try later"):
        self.message = message
        self.queries = []

    def query_transfer(self, reference):
        self.queries.append(reference)
        raise RetryableError(self.message)


def _payout(engine, payout_id):
    with transaction(engine) as s:
        return s.get(Payout, payout_id)


def test_a_request_that_never_reached_the_provider_is_sent_again_and_pays_once(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    assert view.status == PayoutStatus.unknown
    assert transfers_for(sandbox, view.reference)["create_requests"] == 0
    assert payouts.resolve_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    counts = transfers_for(sandbox, view.reference)
    assert (counts["transfers"], counts["create_requests"]) == (1, 1)
    assert _payout(engine, view.id).reference == f"{number}-P1"


def test_a_provider_that_cannot_answer_leaves_the_payout_open_with_the_error_noted(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    down = ProviderCannotAnswer("x" * 500)
    assert payouts.resolve_payout(view.id, down, engine=engine) == PayoutStatus.unknown
    assert down.queries == [view.reference]
    stored = _payout(engine, view.id)
    assert stored.status == PayoutStatus.unknown and stored.last_error == "x" * 400
    assert payouts.open_payout_ids(engine) == [view.id]
    assert payouts.resolve_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    assert _payout(engine, view.id).last_error is None


def test_an_error_noted_on_one_payout_touches_no_other(engine, tmp_path, sandbox):
    factories.world(engine, tmp_path)
    numbers = []
    for _ in range(2):
        case = factories.awaiting_approval(engine, requested_fen=100000)
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=engine)
        numbers.append(case.case_number)
    [first], [second] = (payouts.pay_case(n, RequestLostOnTheWay(), engine=engine) for n in numbers)
    payouts.resolve_payout(first.id, ProviderCannotAnswer("down"), engine=engine)
    assert _payout(engine, first.id).last_error == "down"
    assert _payout(engine, second.id).last_error == "connection reset before the request was sent"


def test_only_open_payouts_not_touched_for_a_while_are_picked_up_in_id_order(approved, sandbox):
    engine, number = approved
    [paid] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert paid.status == PayoutStatus.succeeded
    assert payouts.open_payout_ids(engine) == []  # a finished payout is never picked up
    factories.drop_guards(engine)  # an ended payout stays ended; lifted here to see the order and the age filter
    with transaction(engine) as s:  # make it look open again
        s.execute(update(Payout).where(Payout.id == paid.id).values(status=PayoutStatus.unknown))
    assert payouts.open_payout_ids(engine) == [paid.id]
    assert payouts.open_payout_ids(engine, older_than=timedelta(minutes=5)) == []
    with transaction(engine) as s:
        s.execute(update(Payout).where(Payout.id == paid.id)
                  .values(updated_at=Payout.updated_at - timedelta(minutes=10)))  # type: ignore[operator]
    assert payouts.open_payout_ids(engine, older_than=timedelta(minutes=5)) == [paid.id]


@pytest.mark.parametrize("reserved_first", [False, True])
def test_releasing_a_case_with_nothing_reserved_returns_nothing_and_posts_nothing(approved, reserved_first):
    engine, number = approved
    if not reserved_first:  # a case never approved holds nothing
        number = factories.hardship_case(engine, member="M0002").case_number
    with transaction(engine) as s:
        case = load_case(s, number)
        if reserved_first:  # approval reserved 1,500 yuan; give it back first
            assert ledger.release(s, case, key="release:test-1") == 150000
        postings = s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one()
        assert ledger.release(s, case, key="release:test-2") == 0
        assert s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one() == postings


def test_funds_are_listed_by_year_then_programme_and_filtered_by_year(engine, tmp_path):
    factories.world(engine, tmp_path)  # HA-LIVING, 2026
    from models.enums import CaseType

    ledger.add_programme("HA-AAA", "Earlier code", CaseType.hardship, 2026, 5000, engine=engine)
    ledger.add_programme("HA-ZZZ", "Older year", CaseType.hardship, 2025, 7000, engine=engine)
    rows = ledger.funds(engine=engine)
    assert [(r.year, r.programme) for r in rows] == [(2025, "HA-ZZZ"), (2026, "HA-AAA"), (2026, "HA-LIVING")]
    assert [(r.programme, r.budget_fen, r.remaining_fen) for r in ledger.funds(engine=engine, year=2025)] == [
        ("HA-ZZZ", 7000, 7000)]


def test_a_release_is_posted_as_a_release(approved):
    engine, number = approved
    with transaction(engine) as s:
        assert ledger.release(s, load_case(s, number), key="release:kind") == 150000
        assert s.execute(select(LedgerPosting.kind).where(LedgerPosting.idempotency_key == "release:kind")).scalar_one() \
            == "release"


def test_noting_an_error_on_a_payout_marks_when_it_was_last_touched(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    before = _payout(engine, view.id).updated_at
    payouts.resolve_payout(view.id, ProviderCannotAnswer(), engine=engine)
    assert _payout(engine, view.id).updated_at > before


class AnotherWorkerRecordsFirst:
    """Another worker's answer committed between our read of the payout and our guarded update:
    on PostgreSQL (read committed) our UPDATE then sees their row. The row is changed on our own
    connection just before our UPDATE runs, so the race happens the same way on both databases."""

    def __init__(self, engine, payout_id, status):
        self.engine, self.payout_id, self.status, self.fired = engine, payout_id, status, False

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        sql = " ".join(statement.split()).upper()
        if not self.fired and sql.startswith("UPDATE PAYOUT SET") and "STATUS=" in sql.replace(" ", ""):
            self.fired = True
            cursor.execute(f"UPDATE payout SET status = '{self.status.value}' WHERE id = {int(self.payout_id)}")


@pytest.mark.parametrize("answer", ["succeeded", "failed"])
def test_an_answer_another_worker_recorded_first_is_reported_and_nothing_is_posted_twice(approved, sandbox, answer):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    with transaction(engine) as s:
        postings = s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one()
    theirs = PayoutStatus(answer)
    transfer = Transfer(view.reference, "PRV-1", answer, view.amount_fen, "account closed" if answer == "failed" else None,
                        None)
    with AnotherWorkerRecordsFirst(engine, view.id, theirs) as race:
        assert payouts.apply_provider_view(view.id, transfer, engine=engine) == theirs
    assert race.fired
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(LedgerPosting)).scalar_one() == postings
        assert load_case(s, number).status == CaseStatus.payout_pending  # the other worker moves the case


def test_a_payout_exactly_as_old_as_asked_is_picked_up(approved, sandbox, monkeypatch):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    monkeypatch.setattr(payouts, "utcnow", lambda: now)
    with transaction(engine) as s:
        s.execute(update(Payout).where(Payout.id == view.id).values(updated_at=now - timedelta(minutes=5)))
    assert payouts.open_payout_ids(engine, older_than=timedelta(minutes=5)) == [view.id]
    assert payouts.open_payout_ids(engine, older_than=timedelta(minutes=5, microseconds=1)) == []


def test_open_payouts_come_in_id_order_also_when_postgresql_stores_them_out_of_order(engine, tmp_path):
    """An updated row is stored anew, after the others: PostgreSQL then returns it last from a
    plain scan. SQLite keeps rows in key order, so there this pins only the result."""
    factories.world(engine, tmp_path)
    ids = []
    for _ in range(3):
        case = factories.awaiting_approval(engine, requested_fen=100000)
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=engine)
        ids.extend(v.id for v in payouts.pay_case(case.case_number, RequestLostOnTheWay(), engine=engine))
    with transaction(engine) as s:
        s.execute(update(Payout).where(Payout.id == ids[0]).values(last_error="noted again"))
    assert payouts.open_payout_ids(engine) == sorted(ids)


def test_a_reservation_of_one_fen_is_given_back_whole(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.awaiting_approval(engine, requested_fen=1)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=1, reason="ok", engine=engine)
    with transaction(engine) as s:
        assert ledger.release(s, load_case(s, case.case_number), key="release:one-fen") == 1


def test_a_payout_that_succeeded_is_posted_as_paid_against_that_payout(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    with transaction(engine) as s:
        posting = s.execute(select(LedgerPosting).where(LedgerPosting.idempotency_key == f"pay:{view.reference}")
                            ).scalar_one()
    assert (posting.kind, posting.payout_id) == ("pay", view.id)


def test_a_provider_answer_is_recorded_on_the_payout_and_in_the_cases_history(approved, sandbox):
    from models.audit import AuditEvent

    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    answer = Transfer(view.reference, "PRV-77", "succeeded", view.amount_fen, None, None)
    assert payouts.apply_provider_view(view.id, answer, engine=engine) == PayoutStatus.succeeded
    stored = _payout(engine, view.id)
    assert stored.provider_id == "PRV-77" and stored.completed_at is not None and stored.last_error is None
    with transaction(engine) as s:
        moved = s.execute(select(AuditEvent).where(AuditEvent.to_status == "succeeded")).scalar_one()
        paid = s.execute(select(AuditEvent).where(AuditEvent.to_status == "paid")).scalar_one()
    assert moved.case_number == number
    assert paid.payload == {"reference": view.reference, "provider_id": "PRV-77"}


def test_a_provider_answer_for_another_reference_or_amount_is_refused_naming_both(approved, sandbox):
    from models.errors import PermanentError

    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    other = Transfer(f"{number}-P9", "PRV-1", "succeeded", view.amount_fen, None, None)
    with pytest.raises(PermanentError) as caught:
        payouts.apply_provider_view(view.id, other, engine=engine)
    assert str(caught.value) == f"provider answered for {number}-P9, not {view.reference}"
    more = Transfer(view.reference, "PRV-1", "succeeded", view.amount_fen + 1, None, None)
    with pytest.raises(PermanentError) as caught:
        payouts.apply_provider_view(view.id, more, engine=engine)
    assert str(caught.value) == (f"payout {view.reference}: provider paid {view.amount_fen + 1} fen, "
                                 f"we asked for {view.amount_fen}; finance must look at it")
    assert _payout(engine, view.id).status == PayoutStatus.unknown


def _two_unknown_payouts(engine, tmp_path):
    factories.world(engine, tmp_path)
    views = []
    for _ in range(2):
        case = factories.awaiting_approval(engine, requested_fen=100000)
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=engine)
        views.extend(payouts.pay_case(case.case_number, RequestLostOnTheWay(), engine=engine))
    return views


def test_each_send_is_counted_and_moving_one_payout_leaves_the_others_as_they_were(engine, tmp_path, sandbox):
    from models.audit import AuditEvent

    first, second = _two_unknown_payouts(engine, tmp_path)
    assert first.case_number != second.case_number and first.case_number.startswith("HA-")
    before = _payout(engine, first.id).updated_at
    assert payouts.resolve_payout(first.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    moved, untouched = _payout(engine, first.id), _payout(engine, second.id)
    assert (moved.send_count, moved.status) == (2, PayoutStatus.succeeded) and moved.updated_at > before
    assert (untouched.send_count, untouched.status) == (1, PayoutStatus.unknown)
    with transaction(engine) as s:
        sends = s.execute(select(AuditEvent).where(AuditEvent.action.in_(["payout_submitted", "payout_resent"]),
                                                   AuditEvent.case_number == first.case_number)).scalars().all()
    assert [(e.actor, e.action) for e in sends] == [("system", "payout_submitted"), ("system", "payout_resent")]


def test_a_definite_failure_is_recorded_with_its_reason_and_when_and_frees_the_case(approved, sandbox):
    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    answer = Transfer(view.reference, "PRV-9", "failed", view.amount_fen, "account closed", None)
    assert payouts.apply_provider_view(view.id, answer, engine=engine) == PayoutStatus.failed
    stored = _payout(engine, view.id)
    assert (stored.failure_reason, stored.live_obligation_id) == ("account closed", None) and stored.completed_at is not None


@pytest.mark.parametrize("given,kept", [(None, "failed"), ("", "failed"), ("x" * 450, "x" * 400)])
def test_a_failure_keeps_the_providers_reason_cut_to_400_characters_or_failed_when_it_gives_none(approved, sandbox,
                                                                                                  given, kept):
    from models.audit import AuditEvent

    engine, number = approved
    [view] = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    answer = Transfer(view.reference, "PRV-9", "failed", view.amount_fen, given, None)
    assert payouts.apply_provider_view(view.id, answer, engine=engine) == PayoutStatus.failed
    stored = _payout(engine, view.id)
    assert (stored.failure_reason, stored.provider_id) == (kept, "PRV-9")
    with transaction(engine) as s:
        failed = s.execute(select(AuditEvent).where(AuditEvent.action == "payout_failed",
                                                    AuditEvent.to_status == "failed")).scalar_one()
    assert (failed.case_number, failed.reason) == (number, kept)


class ProviderAnswers:
    """A provider link whose create request fails the way it is told to."""

    def __init__(self, error):
        self.error = error

    def create_transfer(self, *args, **kwargs):
        raise self.error

    def query_transfer(self, reference):
        raise AssertionError("not asked")


def test_a_send_the_provider_asks_us_to_retry_stays_submitted_with_the_error_noted(approved):
    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    status = payouts.send_payout(view.id, ProviderAnswers(RetryableError("429 too many requests")), engine=engine)
    stored = _payout(engine, view.id)
    assert (status, stored.status, stored.last_error) == (PayoutStatus.submitted, PayoutStatus.submitted,
                                                          "429 too many requests")


def test_a_send_the_provider_refuses_is_noted_on_that_payout_and_raised(approved):
    from models.errors import PermanentError

    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    with pytest.raises(PermanentError, match="400 signature rejected"):
        payouts.send_payout(view.id, ProviderAnswers(PermanentError("400 signature rejected")), engine=engine)
    stored = _payout(engine, view.id)
    assert (stored.status, stored.last_error) == (PayoutStatus.submitted, "400 signature rejected")


def test_a_payout_that_does_not_exist_is_refused_by_its_number(engine, tmp_path, sandbox):
    from models.errors import RuleViolation

    factories.world(engine, tmp_path)
    with pytest.raises(RuleViolation) as caught:
        payouts.send_payout(9999, provider_for(sandbox), engine=engine)
    assert str(caught.value) == "payout 9999 does not exist"


def test_a_send_another_worker_started_first_is_begun_again_and_sent_once(approved, sandbox):
    engine, number = approved
    with transaction(engine) as s:
        case = load_case(s, number)
    [view] = payouts.prepare_payouts(number, engine=engine)
    with AnotherWorkerRecordsFirst(engine, view.id, PayoutStatus.submitted) as race:
        assert payouts.send_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    assert race.fired and case.case_number == number
    assert transfers_for(sandbox, view.reference)["create_requests"] == 1
    assert _payout(engine, view.id).send_count == 1


def _at_the_same_moment(*moves):
    """Runs each move in its own thread, released together; returns what each returned or raised."""
    barrier, results = threading.Barrier(len(moves)), [None] * len(moves)

    def run(i, move):
        barrier.wait()
        try:
            results[i] = move()
        except Exception as exc:  # noqa: BLE001 - returned and asserted by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_preparers_at_the_same_moment_queue_on_the_case_and_all_get_the_one_payout(approved):
    engine, number = approved
    results = _at_the_same_moment(*[lambda: payouts.prepare_payouts(number, engine=engine)] * 4)
    assert all(isinstance(r, list) for r in results), results
    assert {tuple(r) for r in results} == {tuple(results[0])} and results[0][0].reference == f"{number}-P1"
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 1
        assert load_case(s, number).status == CaseStatus.payout_pending
        assert ledger.reserved_for_case(s, load_case(s, number)) == results[0][0].amount_fen  # reserved once


def test_a_withdrawal_at_the_moment_the_payout_is_prepared_either_wins_whole_or_is_refused(approved):
    from models.errors import ConflictError, RuleViolation, TransitionRefused
    from services.cases import transition_case

    engine, number = approved
    prepared, withdrawn = _at_the_same_moment(
        lambda: payouts.prepare_payouts(number, engine=engine),
        lambda: transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="no longer needed", engine=engine))
    with transaction(engine) as s:
        payouts_made = s.execute(select(func.count()).select_from(Payout)).scalar_one()
        case = load_case(s, number)
        reserved = ledger.reserved_for_case(s, case)
    if isinstance(prepared, list):  # the payout first: the case is paying, it cannot be withdrawn now
        assert isinstance(withdrawn, (ConflictError, TransitionRefused)), withdrawn
        assert (payouts_made, case.status, reserved) == (1, CaseStatus.payout_pending, 150000)
    else:  # the withdrawal first: nothing is paid and the reservation is back
        assert isinstance(prepared, RuleViolation) and "withdrawn, not approved" in str(prepared), prepared
        assert (payouts_made, case.status, reserved) == (0, CaseStatus.withdrawn, 0)
