"""Monthly reconciliation on a real database (SQLite and PostgreSQL), and once end to end against
the payment sandbox over HTTP.

Most tests insert ``Payout`` rows directly (the matching is what is under test, not paying) and
write the statement CSV by hand in the provider's format.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from alembic import command
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DatabaseError

from models.audit import AuditEvent
from models.enums import CaseStatus
from models.errors import ConflictError, InputError, NotFound, RuleViolation
from models.obligations import Direction, Party
from models.payouts import Payout, PayoutStatus
from models.reconciliation import ExceptionStatus, ReconciliationException, ReconciliationRun, Severity
from sandbox import payment
from sandbox.testing import running_server
from services import approvals, obligations, payouts
from services.audit import verify_chain
from services.cases import load_case, transition_case
from services.db import transaction
from services.migrate import alembic_config
from services.obligations import Planned
from services.payment_provider import STATEMENT_COLUMNS, HttpPaymentProvider, yuan_text
from services.reconciliation import latest_run, list_exceptions, reconcile_month, resolve_exception, sign_off
from tests import factories
from tests.factories import as_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"
IN_MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
IN_FEBRUARY = datetime(2026, 2, 20, 2, 0, tzinfo=UTC)
LAST_MINUTE_OF_FEBRUARY = datetime(2026, 2, 28, 15, 59, 30, tzinfo=UTC)  # 23:59:30 in Shanghai
LINE_TIME = "2026-03-10T10:00:01.250+08:00"


class Books:
    """Our side, written straight into the payout table: one case, one attempt per payout, all
    paying the case's one obligation."""

    def __init__(self, engine, case_id: int, case_number: str) -> None:
        self.engine, self.case_id, self.case_number = engine, case_id, case_number
        self.attempt = 0
        with transaction(engine) as s:
            [owed] = obligations.open_obligations(s, load_case(s, case_number), [
                Planned(Direction.outgoing, Party.member, "M0001", "living_relief", 10_000_000)], actor="system")
            self.obligation_id = owed.id

    def payout(self, amount_fen: int, status: PayoutStatus = PayoutStatus.succeeded,
               created_at: datetime = IN_MARCH) -> str:
        self.attempt += 1
        reference = f"{self.case_number}-P{self.attempt}"
        with transaction(self.engine) as s:
            s.execute(insert(Payout), [{
                "case_id": self.case_id, "obligation_id": self.obligation_id, "attempt": self.attempt, "reference": reference, "amount_fen": amount_fen,
                "payee_name": "Member 1", "bank_account_enc": "not-used-here", "bank_account_masked": "6222********0001",
                "status": status, "provider_id": f"sbx-{reference}", "send_count": 1,
                "created_at": created_at, "updated_at": created_at,
                "completed_at": created_at + timedelta(days=1) if status == PayoutStatus.succeeded else None,
            }])
        return reference


@pytest.fixture
def books(engine, tmp_path) -> Books:
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    return Books(engine, case.id, case.case_number)


def line(reference: str, amount_fen: int, status: str = "succeeded", provider_id: str | None = None,
         time: str = LINE_TIME) -> list[str]:
    return [reference, provider_id or f"sbx-{reference}", status, time, yuan_text(amount_fen), "6222********0001"]


def statement(*lines: list[str]) -> str:
    rows = [",".join(STATEMENT_COLUMNS)] + [",".join(row) for row in lines]
    return "\n".join(rows) + "\n"


def found(engine, month: str = MONTH) -> set[tuple[str, str]]:
    return {(e.discrepancy, e.reference) for e in list_exceptions(month, engine=engine)}


def audit_actions(engine, action: str) -> list[AuditEvent]:
    with transaction(engine) as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars())


def chain_intact(engine) -> bool:
    with transaction(engine) as s:
        return verify_chain(s).intact


def row_counts(engine) -> tuple[int, int]:
    with transaction(engine) as s:
        return (s.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one(),
                s.execute(select(func.count()).select_from(ReconciliationException)).scalar_one())


# --- what is found -----------------------------------------------------------------------------


def test_a_month_where_every_line_agrees_is_all_matched_and_can_be_signed_off(books):
    a, b = books.payout(150_000), books.payout(99_999)
    failed = books.payout(12_000, PayoutStatus.failed)
    summary = reconcile_month(MONTH, statement(line(a, 150_000), line(b, 99_999), line(failed, 12_000, "failed")),
                              actor=as_staff("FI1"), engine=books.engine)
    assert summary.is_new_version and summary.version == 1
    assert summary.counts == {"matched": 3}
    assert (summary.statement_lines, summary.payouts_counted, summary.open_exceptions) == (3, 3, 0)
    assert sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine).signed_off_by == "FI1"


def test_every_discrepancy_class_becomes_an_exception_item_and_nothing_else_does(books):
    matched = books.payout(10_000)
    wrong_amount = books.payout(20_000)
    we_say_paid_they_say_failed = books.payout(30_000)
    absent_at_provider = books.payout(40_000)
    listed_twice = books.payout(50_000)
    never_sent = books.payout(60_000, PayoutStatus.prepared)  # moved no money: not a discrepancy
    still_unknown = books.payout(61_000, PayoutStatus.unknown)  # the provider never saw it
    in_flight = books.payout(62_000, PayoutStatus.submitted)  # "processing" at the provider: agrees
    february = books.payout(70_000, created_at=IN_FEBRUARY)  # another month, not on this statement
    sent_after_midnight = books.payout(80_000, created_at=LAST_MINUTE_OF_FEBRUARY)  # but on March's statement
    text_ = statement(
        line(matched, 10_000),
        line(wrong_amount, 20_001),
        line(we_say_paid_they_say_failed, 30_000, "failed"),
        line("HA-2026-999999-P1", 55_500),  # paid by the provider, unknown to us
        line(listed_twice, 50_000, provider_id="sbx-first"),
        line(listed_twice, 50_000, provider_id="sbx-second"),
        line(in_flight, 62_000, "processing"),
        line(sent_after_midnight, 80_000, time="2026-03-01T00:00:02.000+08:00"),
    )
    summary = reconcile_month(MONTH, text_, engine=books.engine)

    assert found(books.engine) == {
        ("amount_mismatch", wrong_amount), ("status_mismatch", we_say_paid_they_say_failed),
        ("provider_only", "HA-2026-999999-P1"), ("ours_only", absent_at_provider), ("duplicate", listed_twice),
    }
    assert summary.counts == {"matched": 3, "amount_mismatch": 1, "status_mismatch": 1, "provider_only": 1,
                              "ours_only": 1, "duplicate": 1, "unpaid_not_at_provider": 2}
    assert summary.payouts_counted == 9 and february not in {r for _, r in found(books.engine)}
    assert (summary.open_exceptions, summary.critical_open) == (5, 3)
    items = {e.reference: e for e in list_exceptions(MONTH, engine=books.engine)}
    assert items["HA-2026-999999-P1"].severity == Severity.critical
    assert items[listed_twice].severity == Severity.critical and "provider lists 2" in items[listed_twice].detail
    assert items[wrong_amount].severity == Severity.critical  # the provider paid more than we recorded
    assert (items[wrong_amount].our_amount_fen, items[wrong_amount].provider_amount_fen) == (20_000, 20_001)
    assert items[absent_at_provider].severity == Severity.normal
    assert {never_sent, still_unknown}.isdisjoint(items)


def test_a_statement_in_shuffled_order_gives_the_same_result(books):
    references = [books.payout(1_000 + i) for i in range(40)]
    lines = [line(r, 1_000 + i) for i, r in enumerate(references)]
    lines[3] = line(references[3], 7)  # one amount mismatch
    lines += [line("HA-2026-999999-P1", 500), line(references[5], 1_005, provider_id="sbx-again")]
    first = reconcile_month(MONTH, statement(*lines), engine=books.engine)
    random.Random(7).shuffle(lines)
    again = reconcile_month(MONTH, statement(*lines), engine=books.engine)
    assert again.same_as_version == 1 and again.result_sha256 == first.result_sha256
    assert again.counts == first.counts == {"matched": 38, "amount_mismatch": 1, "provider_only": 1, "duplicate": 1}
    assert audit_actions(books.engine, "reconciliation_rerun_same_result")[-1].payload["statement_changed"] is True


def test_re_running_a_month_says_same_result_and_stores_nothing_new(books):
    a = books.payout(10_000)
    books.payout(20_000)  # absent at the provider
    text_ = statement(line(a, 10_000))
    first = reconcile_month(MONTH, text_, engine=books.engine)
    before = row_counts(books.engine)
    again = reconcile_month(MONTH, text_, engine=books.engine)
    assert (again.version, again.same_as_version, again.run_id) == (1, 1, first.run_id)
    assert "same result as version 1" in str(again)
    assert row_counts(books.engine) == before == (1, 1)
    rerun = audit_actions(books.engine, "reconciliation_rerun_same_result")
    assert len(rerun) == 1 and rerun[0].payload["statement_changed"] is False
    assert chain_intact(books.engine)


def test_a_changed_statement_gives_version_two_saying_what_changed(books):
    a, b, c = books.payout(10_000), books.payout(20_000), books.payout(30_000)
    first = reconcile_month(MONTH, statement(line(a, 10_000), line(b, 20_500), line(c, 30_000)), engine=books.engine)
    assert found(books.engine) == {("amount_mismatch", b)}
    second = reconcile_month(MONTH, statement(line(a, 10_000), line(b, 20_000), line(c, 30_000),
                                              line("HA-2026-999999-P1", 100)), engine=books.engine)
    assert second.is_new_version and second.version == 2
    assert second.changes == {"previous_version": 1, "added": {"provider_only": 1}, "removed": {"amount_mismatch": 1},
                              "count_changes": {"amount_mismatch": [1, 0], "matched": [2, 3], "provider_only": [0, 1]},
                              "statement_changed": True, "resolutions_carried": 0}
    assert "+1 provider_only, -1 amount_mismatch" in str(second)
    assert found(books.engine) == {("provider_only", "HA-2026-999999-P1")}
    with transaction(books.engine) as s:  # version 1 is still there, untouched
        kept = s.execute(select(ReconciliationException).where(ReconciliationException.run_id == first.run_id)).scalars().all()
        assert [(e.discrepancy.value, e.reference) for e in kept] == [("amount_mismatch", b)]
    assert latest_run(MONTH, engine=books.engine).version == 2  # type: ignore[union-attr]


def test_a_month_with_nothing_paid_reconciles_to_nothing_and_can_be_signed_off(books):
    books.payout(10_000, created_at=IN_FEBRUARY)
    summary = reconcile_month(MONTH, statement(), engine=books.engine)
    assert (summary.counts, summary.statement_lines, summary.payouts_counted, summary.open_exceptions) == ({}, 0, 0, 0)
    assert sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine).signed_off_by == "FI1"


def test_a_statement_can_be_given_as_a_file(books, tmp_path):
    a = books.payout(10_000)
    path = tmp_path / "statement-2026-03.csv"
    path.write_text("\ufeff" + statement(line(a, 10_000)), encoding="utf-8")  # a BOM, as spreadsheets write it
    assert reconcile_month(MONTH, path, engine=books.engine).counts == {"matched": 1}


def test_two_runs_of_one_month_at_the_same_moment_never_share_a_version(books):
    a = books.payout(10_000)
    statements = [statement(line(a, 10_000)), statement(line(a, 10_001))]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run(text_: str) -> None:
        barrier.wait()
        try:
            outcomes.append(reconcile_month(MONTH, text_, engine=books.engine).version)
        except ConflictError as exc:  # the other run took the version first: that is the documented answer
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in statements]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    versions = sorted(o for o in outcomes if isinstance(o, int))
    # SQLite queues the second run behind the first (it becomes version 2). On PostgreSQL both
    # usually claim version 1 and the UNIQUE (month, version) constraint turns one away.
    allowed = ([1], [1, 2]) if books.engine.dialect.name == "postgresql" else ([1, 2],)
    assert len(outcomes) == 2 and versions in allowed, outcomes
    with transaction(books.engine) as s:
        stored = s.execute(select(ReconciliationRun.version).where(ReconciliationRun.month == MONTH)).scalars().all()
    assert sorted(stored) == versions


# --- finance -----------------------------------------------------------------------------------


def test_sign_off_is_refused_while_an_exception_is_open_and_allowed_once_it_is_resolved(books):
    a = books.payout(10_000)
    reconcile_month(MONTH, statement(line(a, 10_000), line("HA-2026-999999-P1", 100)), engine=books.engine)
    with pytest.raises(RuleViolation, match=r"2026-03 version 1 cannot be signed off: 1 exception\(s\) still open "
                                            r"\(1 critical\)"):
        sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine)
    [item] = list_exceptions(MONTH, only_open=True, engine=books.engine)
    resolved = resolve_exception(item.id, staff_number=as_staff("FI1"), reason="refund of a 2025 transfer, booked by hand",
                                 engine=books.engine)
    assert (resolved.status, resolved.resolved_by) == (ExceptionStatus.resolved, "FI1")
    summary = sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine)
    assert summary.signed_off_by == "FI1" and "signed off by FI1" in str(summary)
    assert sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine) == summary  # a repeat changes nothing

    [event] = audit_actions(books.engine, "reconciliation_exception_resolved")
    assert event.actor == "FI1" and event.reason == "refund of a 2025 transfer, booked by hand"
    assert (event.from_status, event.to_status) == ("open", "resolved")
    assert event.payload["exception_id"] == item.id and event.payload["reference"] == "HA-2026-999999-P1"
    assert audit_actions(books.engine, "reconciliation_signed_off")[0].payload["version"] == 1
    assert chain_intact(books.engine)


def test_only_an_active_finance_officer_resolves_with_a_reason_and_only_once(books):
    reconcile_month(MONTH, statement(line("HA-2026-999999-P1", 100)), engine=books.engine)
    [item] = list_exceptions(MONTH, engine=books.engine)
    with pytest.raises(RuleViolation, match="resolving reconciliation exceptions needs the role finance; CW1 does not have it"):
        resolve_exception(item.id, staff_number=as_staff("CW1"), reason="looks fine", engine=books.engine)
    with pytest.raises(NotFound, match="staff member XX9 does not exist"):
        resolve_exception(item.id, staff_number=as_staff("XX9"), reason="looks fine", engine=books.engine)
    with pytest.raises(InputError, match="reason: is required"):
        resolve_exception(item.id, staff_number=as_staff("FI1"), reason="  ", engine=books.engine)
    with pytest.raises(RuleViolation, match="signing off a reconciliation needs the role finance; AP1 does not have it"):
        sign_off(MONTH, staff_number=as_staff("AP1"), engine=books.engine)
    with pytest.raises(RuleViolation, match="running a reconciliation needs the role finance; CW1 does not have it"):
        reconcile_month(MONTH, statement(), actor=as_staff("CW1"), engine=books.engine)
    resolve_exception(item.id, staff_number=as_staff("FI1"), reason="checked with the bank", engine=books.engine)
    with pytest.raises(RuleViolation, match="resolved by FI1 already"):
        resolve_exception(item.id, staff_number=as_staff("FI1"), reason="again", engine=books.engine)
    assert len(audit_actions(books.engine, "reconciliation_exception_resolved")) == 1


def test_a_resolution_carries_to_the_next_version_only_for_the_very_same_discrepancy(books):
    a, b = books.payout(10_000), books.payout(20_000)
    reconcile_month(MONTH, statement(line(a, 10_001), line(b, 20_001)), engine=books.engine)
    first = {e.reference: e for e in list_exceptions(MONTH, engine=books.engine)}
    resolve_exception(first[a].id, staff_number=as_staff("FI1"), reason="bank fee, agreed", engine=books.engine)
    resolve_exception(first[b].id, staff_number=as_staff("FI1"), reason="bank fee, agreed", engine=books.engine)
    second = reconcile_month(MONTH, statement(line(a, 10_001), line(b, 20_002)), engine=books.engine)  # b changed
    assert second.version == 2 and second.changes["resolutions_carried"] == 1  # type: ignore[index]
    now = {e.reference: e for e in list_exceptions(MONTH, engine=books.engine)}
    assert (now[a].status, now[a].carried_from_id, now[a].resolution_reason) == (
        ExceptionStatus.resolved, first[a].id, "bank fee, agreed")
    assert now[b].status == ExceptionStatus.open
    with pytest.raises(RuleViolation, match="belongs to version 1 of 2026-03; version 2 is current"):
        resolve_exception(first[a].id, staff_number=as_staff("FI1"), reason="x", engine=books.engine)


def test_a_resolved_item_and_a_signed_off_run_are_final_in_the_database(books):
    reconcile_month(MONTH, statement(line("HA-2026-999999-P1", 100)), engine=books.engine)
    [item] = list_exceptions(MONTH, engine=books.engine)
    resolve_exception(item.id, staff_number=as_staff("FI1"), reason="known", engine=books.engine)
    sign_off(MONTH, staff_number=as_staff("FI1"), engine=books.engine)
    for statement_ in ("UPDATE reconciliation_exception SET resolution_reason = 'edited'",
                       "UPDATE reconciliation_run SET signed_off_by = 'XX9'",
                       "DELETE FROM reconciliation_exception", "DELETE FROM reconciliation_run"):
        with pytest.raises(DatabaseError, match="final|append-only"):
            with books.engine.begin() as conn:
                conn.execute(text(statement_))


# --- bad statements ----------------------------------------------------------------------------


@pytest.mark.parametrize(("row", "message"), [
    (line("HA-2026-000001-P1", 100, time="2026-04-01T00:00:00.000+08:00"),
     "row 2: time: is outside 2026-03: is this the statement for 2026-03?"),
    (["HA-2026-000001-P1", "sbx-1", "succeeded", LINE_TIME, "1.234", "x"], "row 2: amount_yuan: "),
    (["HA-2026-000001-P1", "sbx-1", "paid", LINE_TIME, "1.00", "x"], "row 2: status: must be succeeded"),
    (["HA 2026", "sbx-1", "succeeded", LINE_TIME, "1.00", "x"], "row 2: reference: must be 1 to 64"),
    (["HA-2026-000001-P1", "sbx-1", "succeeded", "2026-03-10T10:00:00", "1.00", "x"], "row 2: time: must carry a UTC"),
])
def test_a_bad_statement_is_refused_naming_row_and_column_and_nothing_is_stored(books, row, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("?", r"\?")):
        reconcile_month(MONTH, statement(row), engine=books.engine)
    with pytest.raises(InputError, match="row 1: header: must be reference,provider_id"):
        reconcile_month(MONTH, "ref,amount\n", engine=books.engine)
    with pytest.raises(InputError, match="month: must look like 2026-03"):
        reconcile_month("2026-3", statement(), engine=books.engine)
    assert row_counts(books.engine) == (0, 0)
    assert reconcile_month(MONTH, statement(), engine=books.engine).version == 1  # the connection is clean again


def test_a_statement_file_that_is_not_utf8_is_refused_plainly(books, tmp_path):
    path = tmp_path / "statement-gbk.csv"
    path.write_bytes(statement(line("HA-2026-000001-P1", 100)).replace("6222", "银行").encode("gbk"))
    with pytest.raises(InputError, match="file: is not UTF-8 text"):
        reconcile_month(MONTH, path, engine=books.engine)
    with pytest.raises(InputError, match="statement: file missing.csv does not exist"):
        reconcile_month(MONTH, tmp_path / "missing.csv", engine=books.engine)


def test_the_migration_goes_down_and_up_again(engine):
    config = alembic_config()
    for target in ("0002", "head"):
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if target == "0002" else command.upgrade)(config, target)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM reconciliation_run")).scalar_one() == 0


# --- end to end: real payouts through the sandbox, its statement through the adapter ------------

SECRET = "test-payment-secret"
MERCHANT = "unionaid-test"


@pytest.fixture(scope="module")
def sandbox_url():
    app = payment.create_app(":memory:", merchant_id=MERCHANT, secret=SECRET)
    with running_server(app) as url:
        yield url


def test_payouts_made_through_the_sandbox_reconcile_against_its_statement_as_all_matched(engine, tmp_path, sandbox_url):
    httpx.post(f"{sandbox_url}/sandbox/reset").raise_for_status()
    factories.world(engine, tmp_path)
    provider = HttpPaymentProvider(httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0)), sandbox_url, MERCHANT, SECRET)
    amounts = {1: 150_000, 2: 123_456, 3: 99_901}
    httpx.post(f"{sandbox_url}/sandbox/faults", json={"fail_payee_accounts": [factories.bank_card(2)]}).raise_for_status()
    paid = []
    for member, amount in amounts.items():
        case = factories.hardship_case(engine, member=f"M{member:04d}", requested_fen=amount)
        approve(engine, case.case_number, amount)
        paid.extend(payouts.pay_case(case.case_number, provider, engine=engine))
    httpx.post(f"{sandbox_url}/sandbox/faults", json={"fail_payee_accounts": []}).raise_for_status()
    [retried] = payouts.pay_case(paid[1].case_number, provider, engine=engine)  # a definite failure, paid again
    assert [p.status for p in paid] == [PayoutStatus.succeeded, PayoutStatus.failed, PayoutStatus.succeeded]
    assert retried.status == PayoutStatus.succeeded and retried.reference.endswith("-P2")

    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    summary = reconcile_month(month, provider, actor=as_staff("FI1"), engine=engine)  # downloads via the adapter
    provider.close()
    assert summary.counts == {"matched": 4}, str(summary)
    assert (summary.statement_lines, summary.payouts_counted, summary.open_exceptions) == (4, 4, 0)
    assert sign_off(month, staff_number=as_staff("FI1"), engine=engine).signed_off_by == "FI1"
    assert chain_intact(engine)


def approve(engine, case_number: str, amount_fen: int) -> None:
    transition_case(case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(case_number, CaseStatus.awaiting_approval, actor="system", reason="checks passed", engine=engine)
    approvals.approve_case(case_number, approver=as_staff("AP1"), amount_fen=amount_fen, reason="ok", engine=engine)
