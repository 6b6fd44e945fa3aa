"""A case that owes several payments pays each one exactly once, through the payout protocol,
and is paid when every one is settled; what it is owed stays a receivable until it comes in.

The case here is a wage advance (``tests/wage_advance``): two payments out to the worker and the
employer's repayment in. A bank's refusal of one payment gives back that payment's reservation
only, and the case waits for a person only once nothing else of it is on its way.
"""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.cases import Case
from models.enums import CaseStatus
from models.errors import RuleViolation
from models.ledger import AccountKind, Accounts, LedgerLine
from models.obligations import Direction, Obligation, ObligationState
from models.payouts import Payout, PayoutStatus, obligation_key, payout_reference
from services import approvals, ledger, obligations, payouts
from services.audit import verify_chain
from services.cases import open_case, transition_case
from services.db import transaction
from services.payment_provider import Transfer
from tests import factories
from tests.factories import as_staff
from tests.integration.test_payout_resolution import RequestLostOnTheWay
from tests.integration.test_payouts import provider_for, sandbox, sandbox_url  # noqa: F401
from tests.wage_advance import EMPLOYER, REPAY_BY, WAGE_ADVANCE

PROGRAMME = "WA-ADVANCE"
ACCOUNTS = Accounts(PROGRAMME, factories.YEAR)
BUDGET_FEN = 1_000_000
ADVANCE_FEN = 300_001  # odd: the parts are 150,000 and 150,001 fen


@pytest.fixture
def advance(engine, tmp_path):
    """An approved wage advance of ¥3,000.01: its three obligations opened with the decision."""
    factories.world(engine, tmp_path)
    ledger.add_programme(PROGRAMME, "Wage advances", WAGE_ADVANCE, factories.YEAR, BUDGET_FEN, engine=engine)
    case = open_case(case_type=WAGE_ADVANCE, category="wage_arrears", applicant_member_number="M0001",
                     requested_fen=ADVANCE_FEN, submitted_by=as_staff("CW1"), engine=engine, programme_code=PROGRAMME,
                     local_year=factories.YEAR)
    for to in (CaseStatus.verifying, CaseStatus.awaiting_approval):
        transition_case(case.case_number, to, actor="system", reason="checked", engine=engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=ADVANCE_FEN, reason="arrears", engine=engine)
    return engine, case.case_number


def _case(engine, number) -> Case:
    with transaction(engine) as s:
        return s.execute(select(Case).where(Case.case_number == number)).scalar_one()


def _balances(engine) -> dict[str, int]:
    with transaction(engine) as s:
        return {kind.value: ledger.balance(s, ACCOUNTS.of(kind)) for kind in
                (AccountKind.available, AccountKind.reserved, AccountKind.paid, AccountKind.receivable)}


def _all_lines(engine) -> int:
    with transaction(engine) as s:
        return s.execute(select(func.coalesce(func.sum(LedgerLine.amount_fen), 0))).scalar_one()


def _states(engine, number) -> list[tuple[int, str, int]]:
    return [(o.seq, o.state.value, o.settled_fen) for o in obligations.obligations_of(number, engine=engine)]


def _answer(engine, view, status, reason=None) -> PayoutStatus:
    return payouts.apply_provider_view(view.id, Transfer(view.reference, f"PRV-{view.id}", status, view.amount_fen,
                                                         reason, None), engine=engine)


def test_the_decision_opens_the_plan_two_payments_out_and_the_employers_repayment_in(advance):
    engine, number = advance
    views = obligations.obligations_of(number, engine=engine)
    assert [(v.seq, v.direction, v.party_ref, v.amount_fen, v.due_on) for v in views] == [
        (1, Direction.outgoing, "M0001", 150_000, None), (2, Direction.outgoing, "M0001", 150_001, None),
        (3, Direction.incoming, EMPLOYER, ADVANCE_FEN, REPAY_BY)]
    assert _balances(engine) == {"available": BUDGET_FEN - ADVANCE_FEN, "reserved": ADVANCE_FEN, "paid": 0,
                                 "receivable": ADVANCE_FEN}
    with transaction(engine) as s:
        actions = [e.action for e in s.execute(select(AuditEvent).where(AuditEvent.case_number == number)
                                               .order_by(AuditEvent.seq)).scalars()]
    assert actions[-2:] == ["approve", "obligations_opened"]


def test_each_payment_out_is_paid_once_under_its_own_reference_and_the_case_is_paid_when_both_are(advance, sandbox):
    engine, number = advance
    provider = provider_for(sandbox)
    first = payouts.pay_case(number, provider, engine=engine)
    assert [(v.reference, v.status, v.amount_fen) for v in first] == [
        (f"{number}-P1", PayoutStatus.succeeded, 150_000), (f"{number}-O2-P1", PayoutStatus.succeeded, 150_001)]
    assert payouts.pay_case(number, provider, engine=engine) == first  # again: nothing sent, the same two
    assert [obligation_key(v.reference) for v in first] == [number, f"{number}-O2"]
    case = _case(engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, ADVANCE_FEN)
    assert _states(engine, number) == [(1, "settled", 150_000), (2, "settled", 150_001), (3, "open", 0)]
    assert _balances(engine) == {"available": BUDGET_FEN - ADVANCE_FEN, "reserved": 0, "paid": ADVANCE_FEN,
                                 "receivable": ADVANCE_FEN}
    with transaction(engine) as s:
        assert verify_chain(s).intact


def test_the_repayment_stays_owed_until_it_comes_in_and_then_the_budget_has_it_back(advance, sandbox):
    engine, number = advance
    payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert [o.case_number for o in obligations.overdue_receivables(date(factories.YEAR + 1, 1, 1), engine=engine)] \
        == [number]
    obligations.record_receipt(number, 3, amount_fen=ADVANCE_FEN, reference="BANK-20261231-7", received_on=REPAY_BY,
                               actor=as_staff("FI1"), engine=engine)
    assert _states(engine, number)[2] == (3, "settled", ADVANCE_FEN)
    assert _balances(engine) == {"available": BUDGET_FEN, "reserved": 0, "paid": ADVANCE_FEN, "receivable": 0}
    assert _all_lines(engine) == 0


def test_a_refused_payment_while_the_other_is_on_its_way_keeps_the_case_pending_then_waits_for_a_person(advance):
    engine, number = advance
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    assert (one.status, two.status) == (PayoutStatus.unknown, PayoutStatus.unknown)
    assert _answer(engine, two, "failed", "account frozen") == PayoutStatus.failed
    assert _case(engine, number).status == CaseStatus.payout_pending  # the first is still on its way
    assert _balances(engine)["reserved"] == 150_000  # only the refused part went back
    assert payouts.open_payouts_of(number, engine=engine) == [one.id]  # no new attempt while it is pending
    assert _answer(engine, one, "succeeded") == PayoutStatus.succeeded
    case = _case(engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.approved, 150_000)  # a person looks at the refused part
    assert _states(engine, number)[:2] == [(1, "settled", 150_000), (2, "open", 0)]
    assert _balances(engine) == {"available": BUDGET_FEN - ADVANCE_FEN + 150_001, "reserved": 0, "paid": 150_000,
                                 "receivable": ADVANCE_FEN}


def test_after_a_refusal_only_the_refused_payment_is_sent_again_under_a_new_reference(advance, sandbox):
    engine, number = advance
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    _answer(engine, one, "succeeded")
    assert _case(engine, number).status == CaseStatus.payout_pending
    _answer(engine, two, "failed", "account frozen")
    assert _case(engine, number).status == CaseStatus.approved
    again = payouts.pay_case(number, provider_for(sandbox), engine=engine)
    assert [(v.reference, v.status) for v in again] == [(one.reference, PayoutStatus.succeeded),
                                                        (payout_reference(number, 2, 2), PayoutStatus.succeeded)]
    assert payout_reference(number, 2, 2) == f"{number}-O2-P2"
    case = _case(engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, ADVANCE_FEN)
    assert _balances(engine) == {"available": BUDGET_FEN - ADVANCE_FEN, "reserved": 0, "paid": ADVANCE_FEN,
                                 "receivable": ADVANCE_FEN}
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 3


def test_a_payment_to_a_party_without_a_bank_account_is_refused_by_name_and_no_payment_of_the_case_begins(advance):
    engine, number = advance
    factories.drop_guards(engine)  # an obligation's party never changes: lifted to reach the payee check
    with transaction(engine) as s:
        s.execute(Obligation.__table__.update().where(Obligation.seq == 2).values(party_ref="M0099"))  # type: ignore[attr-defined]
    with pytest.raises(RuleViolation) as refused:
        payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    assert str(refused.value) == f"case {number}: the member of obligation 2 has no bank account on file"
    with transaction(engine) as s:  # all of a case's payouts are prepared together, or none
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 0
    assert _case(engine, number).status == CaseStatus.approved


def test_a_plan_that_pays_out_other_than_what_was_approved_is_refused_and_nothing_is_approved(engine, tmp_path,
                                                                                              monkeypatch):
    factories.world(engine, tmp_path)
    case = factories.awaiting_approval(engine)
    monkeypatch.setitem(obligations.PLANS, case.case_type, lambda s, c: [
        obligations.Planned(Direction.outgoing, obligations.Party.member, "M0001", "too much", c.approved_fen + 1)])
    with pytest.raises(RuleViolation) as refused:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150_000, reason="ok", engine=engine)
    assert str(refused.value) == (f"case {case.case_number}: its payment plan pays out ¥1,500.01, "
                                  "but ¥1,500.00 was approved")
    assert _case(engine, case.case_number).status == CaseStatus.awaiting_approval
    assert obligations.obligations_of(case.case_number, engine=engine) == []


def test_two_payments_of_one_case_succeeding_at_the_same_moment_both_count_and_the_case_is_paid(advance):
    engine, number = advance
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: the two answers cannot overlap there")
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    barrier, results = threading.Barrier(2), []

    def answer(view):
        barrier.wait()
        results.append(_answer(engine, view, "succeeded"))

    threads = [threading.Thread(target=answer, args=(view,)) for view in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [PayoutStatus.succeeded] * 2
    case = _case(engine, number)
    assert (case.status, case.paid_fen) == (CaseStatus.paid, ADVANCE_FEN)
    assert _balances(engine)["paid"] == ADVANCE_FEN



def test_the_money_report_shows_what_the_fund_is_owed_and_what_came_back(advance, sandbox):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from services.reports.build import build_monthly_report

    engine, number = advance
    payouts.pay_case(number, provider_for(sandbox), engine=engine)
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    def row():
        [programme] = [r for r in build_monthly_report(month, engine=engine).section("money").row_dicts()
                       if r["programme"] == PROGRAMME]
        return programme

    before = row()
    assert (before["paid_ytd"], before["remaining"], before["owed"], before["recovered"]) == (
        ADVANCE_FEN, BUDGET_FEN - ADVANCE_FEN, ADVANCE_FEN, 0)
    obligations.record_receipt(number, 3, amount_fen=100_000, reference="BANK-PART-1", received_on=REPAY_BY,
                               actor=as_staff("FI1"), engine=engine)
    after = row()
    assert (after["remaining"], after["owed"], after["recovered"]) == (
        BUDGET_FEN - ADVANCE_FEN + 100_000, ADVANCE_FEN - 100_000, 100_000)
    assert after["budget"] + after["recovered"] == after["reserved"] + after["paid_ytd"] + after["remaining"]


def _events(engine, number, action):
    with transaction(engine) as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.case_number == number, AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).scalars())


def test_the_second_payment_prepared_with_the_first_is_in_the_trail_with_its_reference_and_amount(advance):
    engine, number = advance
    one, two = payouts.prepare_payouts(number, engine=engine)
    [moved] = _events(engine, number, "release_payout")
    [prepared] = _events(engine, number, "payout_prepared")
    assert (moved.payload, moved.to_status) == ({"reference": one.reference, "amount_fen": 150_000}, "payout_pending")
    assert (prepared.actor, prepared.case_id, prepared.case_number, prepared.reason, prepared.payload) == (
        "system", _case(engine, number).id, number, f"payout {two.reference} prepared",
        {"reference": two.reference, "amount_fen": 150_001})


def test_a_settled_payment_keeps_when_it_was_settled_and_the_last_refusal_sends_the_case_back_with_its_reason(advance):
    engine, number = advance
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    _answer(engine, two, "failed", "account frozen")
    _answer(engine, one, "succeeded")
    with transaction(engine) as s:
        first = s.execute(select(Obligation).where(Obligation.seq == 1)).scalar_one()
        assert first.settled_at is not None and first.state == ObligationState.settled
    [back] = [e for e in _events(engine, number, "payout_failed") if e.to_status == "approved"]
    assert (back.from_status, back.actor, back.reason) == ("payout_pending", "system", f"payout {one.reference} succeeded")


def test_another_cases_payout_on_its_way_does_not_keep_this_case_from_a_person(advance):
    engine, number = advance
    other = factories.awaiting_approval(engine)
    approvals.approve_case(other.case_number, approver=as_staff("AP1"), amount_fen=100_000, reason="ok", engine=engine)
    payouts.pay_case(other.case_number, RequestLostOnTheWay(), engine=engine)  # stays unknown
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    _answer(engine, one, "failed", "account frozen")
    _answer(engine, two, "failed", "account frozen")
    assert _case(engine, number).status == CaseStatus.approved
    assert _case(engine, other.case_number).status == CaseStatus.payout_pending
    assert payouts.open_payouts_of(number, engine=engine) == []  # the other case's payout is not this one's


def test_a_reattempt_a_single_fen_short_reserves_that_fen(advance, sandbox):
    engine, number = advance
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    _answer(engine, one, "succeeded")
    _answer(engine, two, "failed", "account frozen")
    with transaction(engine) as s:  # all but one fen of the refused part held again by hand
        ledger.reserve(s, _case(engine, number), 150_000, key=f"reserve:{number}:by-hand")
    payouts.prepare_payouts(number, engine=engine)
    assert _balances(engine)["reserved"] == 150_001


def test_a_case_decided_before_plans_has_its_plan_opened_by_its_first_payout(advance):
    engine, number = advance
    factories.drop_guards(engine)  # obligations are never deleted: lifted to make a case from before them
    with transaction(engine) as s:  # as a case approved before obligations existed
        s.execute(Obligation.__table__.delete())  # type: ignore[attr-defined]
    views = payouts.prepare_payouts(number, actor=as_staff("FI1"), engine=engine)
    assert [v.reference for v in views] == [f"{number}-P1", f"{number}-O2-P1"]
    assert [(o.seq, o.amount_fen) for o in obligations.obligations_of(number, engine=engine)] == [
        (1, 150_000), (2, 150_001), (3, ADVANCE_FEN)]
    assert [e.actor for e in _events(engine, number, "obligations_opened")] == ["AP1", "system"]


@pytest.mark.parametrize("change", [{"approved_fen": None}, {"approved_fen": 0}, {"status": CaseStatus.rejected}])
def test_a_case_without_obligations_that_is_not_approved_with_an_amount_is_refused_and_nothing_opens(advance, change):
    engine, number = advance
    factories.drop_guards(engine)  # rows from before obligations, made by hand
    with transaction(engine) as s:
        s.execute(Obligation.__table__.delete())  # type: ignore[attr-defined]
        s.execute(Case.__table__.update().where(Case.case_number == number).values(**change))  # type: ignore[attr-defined]
    status = change.get("status", CaseStatus.approved)
    with pytest.raises(RuleViolation) as refused:
        payouts.prepare_payouts(number, engine=engine)
    assert str(refused.value) == f"case {number} is {status.value}, not approved: nothing to pay"
    assert obligations.obligations_of(number, engine=engine) == []


def test_a_payment_owed_to_someone_not_a_member_is_refused_by_name(advance):
    engine, number = advance
    factories.drop_guards(engine)  # an obligation's party never changes: lifted to make one owed to an employer
    with transaction(engine) as s:
        s.execute(Obligation.__table__.update().where(Obligation.seq == 2)  # type: ignore[attr-defined]
                  .values(party="employer", party_ref="EMP-0042"))
    with pytest.raises(RuleViolation) as refused:
        payouts.prepare_payouts(number, engine=engine)
    assert str(refused.value) == f"case {number}: the employer of obligation 2 has no bank account on file"


def test_looking_for_the_payouts_on_their_way_never_begins_a_new_attempt(advance):
    engine, number = advance
    one, two = payouts.pay_case(number, RequestLostOnTheWay(), engine=engine)
    _answer(engine, one, "failed", "account frozen")
    _answer(engine, two, "failed", "account frozen")
    assert _case(engine, number).status == CaseStatus.approved  # a person looks at the account first
    assert payouts.open_payouts_of(number, engine=engine) == []
    assert _case(engine, number).status == CaseStatus.approved
    with transaction(engine) as s:
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 2


def test_a_member_whose_number_looks_like_a_card_number_is_approved_and_paid_under_that_number(engine, tmp_path):
    from sqlalchemy import update

    from models.members import Member

    factories.world(engine, tmp_path)
    card_like = "6222021234567890123"  # a service-card number: the shape of a bank card
    with transaction(engine) as s:
        s.execute(update(Member).where(Member.member_number == "M0001").values(member_number=card_like))
    case = factories.hardship_case(engine, member=card_like)
    for to in (CaseStatus.verifying, CaseStatus.awaiting_approval):
        transition_case(case.case_number, to, actor="system", reason="checked", engine=engine)
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150_000, reason="ok", engine=engine)
    [owed] = obligations.obligations_of(case.case_number, engine=engine)
    assert (owed.party_ref, owed.amount_fen) == (card_like, 150_000)
    [view] = payouts.prepare_payouts(case.case_number, engine=engine)
    assert view.reference == f"{case.case_number}-P1"


def test_a_plan_naming_a_member_not_on_file_is_refused_without_echoing_the_number(advance):
    engine, number = advance
    factories.drop_guards(engine)  # obligations are never deleted: lifted to plan the case afresh
    with transaction(engine) as s:
        s.execute(Obligation.__table__.delete())  # type: ignore[attr-defined]
        with pytest.raises(obligations.InputError) as refused:
            obligations.open_obligations(s, s.execute(select(Case).where(Case.case_number == number)).scalar_one(),
                                         [obligations.Planned(Direction.outgoing, obligations.Party.member,
                                                              "M9999", "advance", 1)], actor=as_staff("MD1"))
        s.rollback()
    assert str(refused.value) == "party_ref: is not the number of a member on file"
