"""Payouts against the real payment sandbox over HTTP: exactly once, every fen accounted for."""

import threading

import httpx
import pytest
from sqlalchemy import select, update

from models.cases import Case
from models.enums import CaseStatus
from models.errors import OutcomeUnknown, RuleViolation
from models.ledger import Accounts
from models.payouts import Payout, PayoutStatus
from sandbox import payment
from sandbox.testing import running_server
from services import approvals, ledger, payouts
from services.cases import load_case, transition_case
from services.db import transaction
from services.payment_provider import HttpPaymentProvider
from tests import factories
from tests.factories import as_staff

SECRET = "test-payment-secret"
MERCHANT = "unionaid-test"
ACCOUNTS = Accounts("HA-LIVING", factories.YEAR)


@pytest.fixture(scope="module")
def sandbox_url():
    app = payment.create_app(":memory:", merchant_id=MERCHANT, secret=SECRET)
    with running_server(app) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url):
    httpx.post(f"{sandbox_url}/sandbox/reset").raise_for_status()
    no_faults(sandbox_url)
    return sandbox_url


def no_faults(url):
    """The sandbox merges fault changes; this switches every knob off."""
    httpx.post(f"{url}/sandbox/faults", json={"latency_ms": 0, "share_429": 0, "share_5xx": 0,
                                             "share_timeout_after_commit": 0, "share_lost_response": 0,
                                             "fail_payee_accounts": []}).raise_for_status()


def provider_for(url, read_timeout=2.0):
    client = httpx.Client(timeout=httpx.Timeout(read_timeout, connect=2.0), follow_redirects=False)
    return HttpPaymentProvider(client, url, MERCHANT, SECRET)


def transfers_for(url, reference):
    return httpx.get(f"{url}/sandbox/transfers/count", params={"reference": reference}).json()


@pytest.fixture
def approved(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.awaiting_approval(engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=engine)
    return engine, case.case_number


def _case(engine, number):
    with transaction(engine) as s:
        return s.execute(select(Case).where(Case.case_number == number)).scalar_one()


def _balances(engine):
    with transaction(engine) as s:
        return {leaf: ledger.balance(s, getattr(ACCOUNTS, leaf)) for leaf in ("available", "reserved", "paid")}


def test_approval_reserves_budget_and_a_payout_moves_it_to_paid(approved, sandbox):
    engine, number = approved
    assert _balances(engine) == {"available": factories.BUDGET_FEN - 150000, "reserved": 150000, "paid": 0}
    [view] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert view.status == PayoutStatus.succeeded and view.reference == f"{number}-P1"
    assert _balances(engine) == {"available": factories.BUDGET_FEN - 150000, "reserved": 0, "paid": 150000}
    case = _case(engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, 150000)


def test_paying_a_case_again_sends_nothing_new(approved, sandbox):
    engine, number = approved
    [first] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    [second] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert second == first and first.case_number == number
    assert transfers_for(sandbox, first.reference)["transfers"] == 1


def test_preparing_a_case_again_finds_the_payout_already_prepared(approved):
    engine, number = approved
    [first] = payouts.prepare_payouts(number, engine=engine)
    assert payouts.prepare_payouts(number, engine=engine) == [first]
    assert (first.case_number, first.reference, first.status) == (number, f"{number}-P1", PayoutStatus.prepared)


def test_approving_beyond_the_remaining_budget_is_refused_with_both_amounts(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.awaiting_approval(engine, requested_fen=factories.BUDGET_FEN + 100)
    with pytest.raises(ledger.BudgetExceeded, match=r"¥10,000.00 remaining, ¥10,000.01 requested"):
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=factories.BUDGET_FEN + 1, reason="x",
                               engine=engine)
    assert _case(engine, case.case_number).status == CaseStatus.awaiting_approval
    assert _balances(engine)["reserved"] == 0


def test_a_timeout_after_the_provider_committed_is_unknown_then_resolved_without_paying_twice(approved, sandbox):
    engine, number = approved
    httpx.post(f"{sandbox}/sandbox/faults", json={"share_timeout_after_commit": 1.0, "hang_ms": 1500}).raise_for_status()
    [view] = payouts.pay_case(number, provider_for(sandbox, read_timeout=0.5), engine=engine)
    assert view.status == PayoutStatus.unknown
    assert _case(engine, number).status == CaseStatus.payout_pending
    no_faults(sandbox)
    assert payouts.resolve_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    assert transfers_for(sandbox, view.reference)["transfers"] == 1
    assert _balances(engine)["paid"] == 150000


def test_a_payout_the_provider_never_saw_is_sent_again_with_the_same_reference(approved, sandbox):
    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)  # then the process "crashes" before sending
    assert payouts.open_payout_ids(engine) == [view.id]
    assert payouts.resolve_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    assert transfers_for(sandbox, view.reference)["transfers"] == 1


def test_a_definite_failure_releases_the_budget_and_a_new_attempt_gets_a_new_reference(approved, sandbox):
    engine, number = approved
    httpx.post(f"{sandbox}/sandbox/faults", json={"fail_payee_accounts": [factories.bank_card(1)]}).raise_for_status()
    [failed] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert failed.status == PayoutStatus.failed
    assert _case(engine, number).status == CaseStatus.approved
    assert _balances(engine) == {"available": factories.BUDGET_FEN, "reserved": 0, "paid": 0}
    no_faults(sandbox)
    [retried] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert retried.reference == f"{number}-P2" and retried.status == PayoutStatus.succeeded
    assert _balances(engine) == {"available": factories.BUDGET_FEN - 150000, "reserved": 0, "paid": 150000}


def test_withdrawing_an_approved_case_gives_its_reservation_back(approved):
    engine, number = approved
    transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="no longer needed", engine=engine)
    assert _balances(engine) == {"available": factories.BUDGET_FEN, "reserved": 0, "paid": 0}


def test_a_case_withdrawn_after_approval_is_refused_a_payout_though_an_amount_was_approved(approved, sandbox):
    from models.errors import RuleViolation

    engine, number = approved
    transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="no longer needed", engine=engine)
    assert _case(engine, number).approved_fen == 150000
    with pytest.raises(RuleViolation) as caught:
        payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert str(caught.value) == f"case {number} is withdrawn, not approved: nothing to pay"
    with transaction(engine) as s:
        assert s.execute(select(Payout)).scalars().all() == []


def test_the_finance_officer_who_pays_is_recorded_as_releasing_the_payout_the_system_prepares(approved, sandbox):
    from models.audit import AuditEvent

    engine, number = approved
    payouts.pay_case(number, provider_for(sandbox), actor=as_staff("FI1"), engine=engine)
    with transaction(engine) as s:
        prepared = s.execute(select(AuditEvent).where(AuditEvent.to_status == "payout_pending")).scalar_one()
    assert (prepared.actor, prepared.payload["released_by"]) == ("system", "FI1")


def test_only_finance_releases_a_payout(approved, sandbox):
    engine, number = approved
    with pytest.raises(RuleViolation, match="releasing a payout needs the role finance; CW1 does not have it"):
        payouts.pay_case(number, provider_for(sandbox), actor=as_staff("CW1"), engine=engine)


def test_many_workers_paying_the_same_case_make_exactly_one_transfer(approved, sandbox):
    engine, number = approved
    barrier = threading.Barrier(8)
    results = []

    def worker():
        barrier.wait()
        try:
            results.extend(v.status for v in payouts.pay_case(number, provider_for(sandbox), engine=engine))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, PayoutStatus) for r in results), results  # every worker gets the one payout
    for payout_id in payouts.open_payout_ids(engine):
        payouts.resolve_payout(payout_id, provider_for(sandbox), engine=engine)
    assert transfers_for(sandbox, f"{number}-P1")["transfers"] == 1
    with transaction(engine) as s:
        assert len(s.execute(select(Payout)).scalars().all()) == 1
    assert _case(engine, number).paid_fen == 150000
    assert _balances(engine)["paid"] == 150000


def test_a_lost_response_never_becomes_a_failure(approved, sandbox):
    engine, number = approved
    httpx.post(f"{sandbox}/sandbox/faults", json={"share_lost_response": 1.0}).raise_for_status()
    [view] = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert view.status == PayoutStatus.unknown
    no_faults(sandbox)
    assert payouts.resolve_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded


def test_the_ledger_refuses_an_unbalanced_posting_in_the_database(engine):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    factories.organisation(engine)
    with pytest.raises(DatabaseError, match="balance"):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_posting (id, idempotency_key, kind, programme_id, sealed, posted_at) "
                              "VALUES (999, 'k', 'x', 1, false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO ledger_line (posting_id, account, amount_fen) VALUES (999, 'a', 5)"))
            conn.execute(text("UPDATE ledger_posting SET sealed = true WHERE id = 999"))
    with pytest.raises(DatabaseError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ledger_line"))


def test_unknown_outcome_is_an_error_class_of_its_own():
    assert not issubclass(OutcomeUnknown, (payouts.RetryableError, payouts.PermanentError))


def test_an_applicant_without_a_bank_account_on_file_is_not_paid_and_nothing_is_prepared(approved, sandbox):
    from models.errors import RuleViolation
    from models.members import Member

    engine, number = approved
    with transaction(engine) as s:
        s.execute(update(Member).where(Member.member_number == "M0001").values(bank_account_enc=""))
    with pytest.raises(RuleViolation) as caught:
        payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert str(caught.value) == f"case {number}: the applicant has no bank account on file"
    assert _case(engine, number).status == CaseStatus.approved
    with transaction(engine) as s:
        assert s.execute(select(Payout)).scalars().all() == []


def test_preparing_a_payout_is_audited_with_its_reference_and_amount(approved):
    from models.audit import AuditEvent

    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    with transaction(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.case_number == number,
                                                   AuditEvent.to_status == "payout_pending")).scalar_one()
    assert (event.action, event.payload) == ("release_payout", {"reference": view.reference, "amount_fen": 150000})
    assert event.reason == f"payout {view.reference} prepared"


def test_a_case_with_part_of_its_amount_still_reserved_is_topped_up_to_the_approved_amount_not_beyond(approved, sandbox):
    engine, number = approved
    httpx.post(f"{sandbox}/sandbox/faults", json={"fail_payee_accounts": [factories.bank_card(1)]}).raise_for_status()
    assert [v.status for v in payouts.pay_case(number, provider_for(sandbox), engine=engine)] == [PayoutStatus.failed]
    no_faults(sandbox)
    with transaction(engine) as s:  # 400 yuan of it reserved again by hand before the next attempt
        ledger.reserve(s, _case(engine, number), 40000, key=f"reserve:{number}:by-hand")
    assert _balances(engine)["reserved"] == 40000
    [view] = payouts.prepare_payouts(number, engine=engine)
    assert view.reference == f"{number}-P2"
    assert _balances(engine) == {"available": factories.BUDGET_FEN - 150000, "reserved": 150000, "paid": 0}


def test_a_payout_keeps_the_masked_account_it_was_given_and_no_made_up_one(approved):
    from models.members import Member

    engine, number = approved
    with transaction(engine) as s:
        s.execute(update(Member).where(Member.member_number == "M0001").values(bank_account_masked=None))
    [view] = payouts.prepare_payouts(number, engine=engine)
    with transaction(engine) as s:
        assert s.get(Payout, view.id).bank_account_masked == ""


def test_approving_a_case_that_has_no_programme_is_refused_by_name(engine, tmp_path):
    from models.enums import CaseType
    from models.errors import RuleViolation
    from services.cases import open_case

    factories.world(engine, tmp_path)
    case = open_case(case_type=CaseType.hardship, category="living_relief", applicant_member_number="M0001",
                     requested_fen=100000, submitted_by=as_staff("CW1"), engine=engine, local_year=factories.YEAR)
    for to in (CaseStatus.verifying, CaseStatus.awaiting_approval):
        transition_case(case.case_number, to, actor="system", reason="checked", engine=engine)
    with pytest.raises(RuleViolation) as caught:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=100000, reason="ok", engine=engine)
    assert str(caught.value) == f"case {case.case_number} has no programme to reserve budget from"
    assert _case(engine, case.case_number).status == CaseStatus.awaiting_approval
    with transaction(engine) as s:
        assert ledger.reserved_for_case(s, load_case(s, case.case_number)) == 0


def test_a_payout_sent_is_in_the_trail_with_its_reference_attempt_and_amount_and_no_reason(approved, sandbox):
    from models.audit import AuditEvent

    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    payouts.send_payout(view.id, provider_for(sandbox), engine=engine)
    with transaction(engine) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.case_number == number,
                                                   AuditEvent.action == "payout_submitted")).scalar_one()
    assert (event.actor, event.reason, event.payload) == (
        "system", "", {"reference": view.reference, "attempt": 1, "amount_fen": 150000})


def test_a_payout_that_succeeded_never_moves_back_and_the_refusal_names_both_states(approved, sandbox):
    engine, number = approved
    [view] = payouts.prepare_payouts(number, engine=engine)
    assert payouts.send_payout(view.id, provider_for(sandbox), engine=engine) == PayoutStatus.succeeded
    with transaction(engine) as s:
        payout = s.get(Payout, view.id)
        with pytest.raises(RuleViolation) as refused:
            payouts._move(s, payout, number, PayoutStatus.submitted)
    assert str(refused.value) == f"payout {view.reference}: cannot move from succeeded to submitted"
