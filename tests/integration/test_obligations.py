"""A case's payment obligations: opened once from its plan, receivables posted to the ledger
when opened and with every receipt, each receipt recorded once, never more than is owed."""

import json
import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.errors import ConflictError, InputError, RuleViolation, UnionaidError
from models.ledger import AccountKind, Accounts, LedgerLine, LedgerPosting
from models.obligations import Direction, ObligationState, Party, Receipt
from services import ledger, obligations
from services.audit import case_history
from services.cases import load_case
from services.db import transaction
from services.obligations import Planned
from tests import factories
from tests.factories import acting, as_staff, resident_id
from tests.integration.test_cli import _one_line_error, cli  # noqa: F401 - the fixture

ACCOUNTS = Accounts("HA-LIVING", factories.YEAR)
ADVANCE = Planned(Direction.outgoing, Party.member, "M0001", "wage advance", 300000)
REPAYMENT = Planned(Direction.incoming, Party.employer, "EMP-0042", "wage advance repaid", 300000, date(2026, 6, 30))
PLAN = (ADVANCE, Planned(Direction.outgoing, Party.member, "M0001", "travel costs", 20000), REPAYMENT)


@pytest.fixture
def case(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine, factories.awaiting_approval(engine).case_number


def _open(engine, number, plan=PLAN):
    with transaction(engine) as s:
        return [o.seq for o in obligations.open_obligations(s, load_case(s, number), plan, actor=as_staff("MD1"))]


def _balances(engine):
    with transaction(engine) as s:
        return {kind.value: ledger.balance(s, ACCOUNTS.of(kind)) for kind in
                (AccountKind.available, AccountKind.receivable, AccountKind.recoveries)}


def _count(engine, table):
    with transaction(engine) as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


def _all_lines_sum(engine):
    with transaction(engine) as s:
        return s.execute(select(func.coalesce(func.sum(LedgerLine.amount_fen), 0))).scalar_one()


def test_a_plan_opens_its_obligations_in_order_and_posts_the_receivable(case):
    engine, number = case
    before = _balances(engine)
    assert _open(engine, number) == [1, 2, 3]
    views = obligations.obligations_of(number, engine=engine)
    assert [(v.seq, v.direction, v.party_ref, v.amount_fen, v.state) for v in views] == [
        (1, Direction.outgoing, "M0001", 300000, ObligationState.open),
        (2, Direction.outgoing, "M0001", 20000, ObligationState.open),
        (3, Direction.incoming, "EMP-0042", 300000, ObligationState.open)]
    assert _balances(engine) == {"available": before["available"], "receivable": 300000, "recoveries": -300000}
    with transaction(engine) as s:
        event = case_history(s, number)[-1]
    assert (event.action, event.actor) == ("obligations_opened", "MD1")
    assert event.payload["obligations"][2] == {"seq": 3, "direction": "in", "party": "employer",
                                               "purpose": "wage advance repaid", "amount_fen": 300000,
                                               "due_on": "2026-06-30"}
    assert _all_lines_sum(engine) == 0


def test_the_same_plan_again_changes_nothing_and_another_plan_is_refused(case):
    engine, number = case
    _open(engine, number)
    postings, events = _count(engine, LedgerPosting), _count(engine, AuditEvent)
    assert _open(engine, number) == [1, 2, 3]
    assert (_count(engine, LedgerPosting), _count(engine, AuditEvent)) == (postings, events)
    with pytest.raises(ConflictError, match=f"case {number} has its obligations already"):
        _open(engine, number, PLAN[:2])


@pytest.mark.parametrize("planned,field,problem", [
    (Planned(Direction.incoming, Party.employer, resident_id(seq=7), "repaid", 100), "party_ref",
     "must be a member number or a unit code, not an identity, card or mobile number"),
    (Planned(Direction.outgoing, Party.member, "M0001", "advance", 0), "amount", "must be more than zero"),
    (Planned(Direction.outgoing, Party.member, " ", "advance", 100), "party_ref",
     "is required: a member number or a unit code of at most 40 characters"),
    (Planned(Direction.incoming, Party.employer, "EMP-1", f"repaid, ask for {resident_id(seq=7)}", 100), "purpose",
     "must say what the amount is for, without an identity, card or mobile number"),
])
def test_a_plan_with_a_bad_amount_or_party_is_refused_naming_the_field_and_opens_nothing(case, planned, field, problem):
    engine, number = case
    postings = _count(engine, LedgerPosting)
    with pytest.raises(InputError) as refused:
        _open(engine, number, (ADVANCE, planned))
    assert (refused.value.field, refused.value.problem_detail.problem) == (field, problem)
    assert resident_id(seq=7) not in str(refused.value)
    assert obligations.obligations_of(number, engine=engine) == [] and _count(engine, LedgerPosting) == postings


def test_a_receivable_paid_in_two_parts_is_settled_and_its_money_is_available_again(case):
    engine, number = case
    _open(engine, number)
    available = _balances(engine)["available"]
    obligations.record_receipt(number, 3, amount_fen=100000, reference="BANK-2026-0001", received_on=date(2026, 5, 1),
                               actor=as_staff("FI1"), engine=engine)
    assert obligations.obligations_of(number, engine=engine)[2].settled_fen == 100000
    obligations.record_receipt(number, 3, amount_fen=200000, reference="BANK-2026-0002", received_on=date(2026, 6, 2),
                               actor=as_staff("FI1"), engine=engine)
    third = obligations.obligations_of(number, engine=engine)[2]
    assert (third.settled_fen, third.state) == (300000, ObligationState.settled)
    assert _balances(engine) == {"available": available + 300000, "receivable": 0, "recoveries": -300000}
    assert _all_lines_sum(engine) == 0
    with transaction(engine) as s:
        last = case_history(s, number)[-1]
    assert (last.action, last.payload) == ("receipt_recorded", {"seq": 3, "reference": "BANK-2026-0002",
                                                                "amount_fen": 200000, "outstanding_fen": 0, "authenticated": "totp"})
    with pytest.raises(InputError, match="obligation: is settled: nothing more is owed"):
        obligations.record_receipt(number, 3, amount_fen=1, reference="BANK-2026-0003", received_on=date(2026, 6, 3),
                                   actor=as_staff("FI1"), engine=engine)


def test_the_same_receipt_recorded_twice_is_one_receipt_and_one_posting(case):
    engine, number = case
    _open(engine, number)
    for _ in range(2):
        obligations.record_receipt(number, 3, amount_fen=50000, reference="BANK-7", received_on=date(2026, 5, 1),
                                   actor=as_staff("FI1"), engine=engine)
    assert _count(engine, Receipt) == 1 and _balances(engine)["receivable"] == 250000
    with pytest.raises(ConflictError, match="reference BANK-7 is recorded already for another receipt"):
        obligations.record_receipt(number, 3, amount_fen=60000, reference="BANK-7", received_on=date(2026, 5, 1),
                                   actor=as_staff("FI1"), engine=engine)


def test_a_receipt_of_more_than_is_owed_or_against_a_payment_of_ours_is_refused_by_name(case):
    engine, number = case
    _open(engine, number)
    with pytest.raises(InputError) as refused:
        obligations.record_receipt(number, 3, amount_fen=300001, reference="BANK-8", received_on=date(2026, 5, 1),
                                   actor=as_staff("FI1"), engine=engine)
    assert (refused.value.field, refused.value.problem_detail.problem) == (
        "amount", "¥3,000.01 is more than the ¥3,000.00 still owed")
    with pytest.raises(InputError, match="obligation: is one we pay, not one we are owed"):
        obligations.record_receipt(number, 1, amount_fen=100, reference="BANK-9", received_on=date(2026, 5, 1),
                                   actor=as_staff("FI1"), engine=engine)
    with pytest.raises(InputError, match="reference: must be the transfer's reference"):
        obligations.record_receipt(number, 3, amount_fen=100, reference=resident_id(seq=3), received_on=date(2026, 5, 1),
                                   actor=as_staff("FI1"), engine=engine)
    assert _count(engine, Receipt) == 0 and _balances(engine)["receivable"] == 300000


def test_two_receipts_of_the_whole_amount_at_the_same_moment_settle_it_once(case):
    engine, number = case
    _open(engine, number)
    start, outcomes = threading.Barrier(2), []

    def receive(reference):
        start.wait()
        try:
            obligations.record_receipt(number, 3, amount_fen=300000, reference=reference, received_on=date(2026, 5, 1),
                                       actor=as_staff("FI1"), engine=engine)
            outcomes.append("recorded")
        except UnionaidError as exc:
            outcomes.append(type(exc).__name__)

    workers = [threading.Thread(target=receive, args=(f"BANK-R{i}",)) for i in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers) and len(outcomes) == 2, outcomes
    assert outcomes.count("recorded") == 1 and set(outcomes) <= {"recorded", "InputError", "ConflictError"}, outcomes
    assert _count(engine, Receipt) == 1 and _balances(engine)["receivable"] == 0


def test_one_reference_recorded_against_two_obligations_at_the_same_moment_is_taken_once(case):
    engine, number = case
    second = factories.awaiting_approval(engine).case_number
    _open(engine, number)
    _open(engine, second, (REPAYMENT,))
    start, outcomes = threading.Barrier(2), []

    def receive(case_number, seq):
        start.wait()
        try:
            obligations.record_receipt(case_number, seq, amount_fen=1000, reference="BANK-SAME",
                                       received_on=date(2026, 5, 1), actor=as_staff("FI1"), engine=engine)
            outcomes.append("recorded")
        except UnionaidError as exc:
            outcomes.append(type(exc).__name__)

    workers = [threading.Thread(target=receive, args=args) for args in ((number, 3), (second, 1))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers) and sorted(outcomes) == ["ConflictError", "recorded"], outcomes
    assert _count(engine, Receipt) == 1 and _balances(engine)["receivable"] == 600000 - 1000


def test_a_plan_given_again_with_spaces_around_its_names_is_the_same_plan(case):
    engine, number = case
    _open(engine, number)
    spaced = (ADVANCE, PLAN[1], Planned(Direction.incoming, Party.employer, " EMP-0042 ", " wage advance repaid",
                                        300000, date(2026, 6, 30)))
    assert _open(engine, number, spaced) == [1, 2, 3]


def test_a_long_bank_serial_is_a_reference_and_a_card_number_is_not(case):
    engine, number = case
    _open(engine, number)
    obligations.record_receipt(number, 3, amount_fen=100, reference="2026050112345678", received_on=date(2026, 5, 1),
                               actor=as_staff("FI1"), engine=engine)
    with pytest.raises(InputError, match="reference: must be the transfer's reference"):
        obligations.record_receipt(number, 3, amount_fen=100, reference=factories.bank_card(4),
                                   received_on=date(2026, 5, 1), actor=as_staff("FI1"), engine=engine)


def test_open_receivables_past_their_day_are_listed_longest_overdue_first(case):
    engine, number = case
    second = factories.awaiting_approval(engine).case_number
    _open(engine, number)
    _open(engine, second, (Planned(Direction.incoming, Party.employer, "EMP-7", "repaid", 5000, date(2026, 3, 1)),))
    assert obligations.overdue_receivables(date(2026, 6, 30), engine=engine)[0].case_number == second
    assert [(v.case_number, v.seq) for v in obligations.overdue_receivables(date(2026, 7, 1), engine=engine)] == [
        (second, 1), (number, 3)]
    obligations.record_receipt(second, 1, amount_fen=5000, reference="BANK-X", received_on=date(2026, 3, 2),
                               actor=as_staff("FI1"), engine=engine)
    assert [v.case_number for v in obligations.overdue_receivables(date(2026, 7, 1), engine=engine)] == [number]


def test_a_case_without_a_programme_has_no_fund_to_owe_from(engine, tmp_path):
    from services.cases import open_case

    factories.world(engine, tmp_path)
    case = open_case(case_type=factories.CaseType.hardship, category="living_relief", applicant_member_number="M0001",
                     requested_fen=100, submitted_by=as_staff("CW1"), engine=engine)
    with pytest.raises(RuleViolation, match="has no programme: no fund to owe or be owed from"):
        _open(engine, case.case_number)


@pytest.mark.parametrize("actor", ["CW1", "system"])
def test_only_a_person_of_finance_records_money_received(case, actor):
    engine, number = case
    _open(engine, number)
    with pytest.raises(RuleViolation, match=f"recording money received needs a person with the role finance; "
                                            f"{actor} is not one"):
        obligations.record_receipt(number, 3, amount_fen=100, reference="BANK-C", received_on=date(2026, 5, 1),
                                   actor=acting(actor), engine=engine)
    assert _count(engine, Receipt) == 0


def test_finance_records_a_receipt_from_the_command_line_and_sees_what_is_still_owed(cli, tmp_path):
    factories.world(cli.engine, tmp_path)
    number = factories.awaiting_approval(cli.engine).case_number
    _open(cli.engine, number)
    done = cli("obligations", "receive", number, "3", "--amount", "1000.50", "--reference", "BANK-CLI-1",
               "--on", "2026-05-04", "--as", "FI1")
    assert done.exit_code == 0, done.output
    assert f"{number} obligation 3: ¥1,000.50 of ¥3,000.00 received (open)" in done.output
    listed = json.loads(cli("obligations", "list", number, "--json").output)
    assert [(o["seq"], o["direction"], o["settled_fen"], o["state"]) for o in listed] == [
        (1, "out", 0, "open"), (2, "out", 0, "open"), (3, "in", 100050, "open")]
    overdue = json.loads(cli("obligations", "overdue", "--on", "2026-07-01", "--json").output)
    assert [(o["case_number"], o["seq"], o["due_on"]) for o in overdue] == [(number, 3, "2026-06-30")]


@pytest.mark.parametrize("args,fragments", [
    (("--amount", "12.345", "--reference", "B-1", "--on", "2026-05-04"), ("amount",)),
    (("--amount", "10", "--reference", "B-1", "--on", "4 May"), ("on", "must be a date as YYYY-MM-DD")),
    (("--amount", "10", "--reference", resident_id(seq=2), "--on", "2026-05-04"), ("reference",)),
])
def test_a_receipt_typed_wrong_is_one_line_naming_the_field_and_records_nothing(cli, tmp_path, args, fragments):
    factories.world(cli.engine, tmp_path)
    number = factories.awaiting_approval(cli.engine).case_number
    _open(cli.engine, number)
    result = cli("obligations", "receive", number, "3", *args, "--as", "FI1")
    _one_line_error(result, *fragments)
    assert resident_id(seq=2) not in result.output
    assert _count(cli.engine, Receipt) == 0


def test_the_daily_deadlines_artifact_lists_the_receivables_past_their_day(case):
    from services import deadline_runs

    engine, number = case
    _open(engine, number)
    obligations.record_receipt(number, 3, amount_fen=100000, reference="BANK-D", received_on=date(2026, 5, 1),
                               actor=as_staff("FI1"), engine=engine)
    owed = obligations.overdue_receivables(date(2026, 7, 10), engine=engine)
    markdown = deadline_runs.render_markdown(date(2026, 7, 10), [], [], owed)
    assert "## Receivables past their day: 1" in markdown
    assert f"| {number} | 3 | employer EMP-0042 | wage advance repaid | ¥2,000.00 | 2026-06-30 | 10 |" in markdown
    assert "Receivables" not in deadline_runs.render_markdown(date(2026, 7, 10), [], [], [])
