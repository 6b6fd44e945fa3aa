"""The monthly reconciliation flow against the payment sandbox's own statement."""

from datetime import date

from flows.reconciliation import previous_month, reconcile_flow
from models.time import utcnow
from services import approvals, payouts, providers, reconciliation
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff


def test_the_previous_month_is_reconciled_by_default_across_a_year_end():
    assert previous_month(date(2027, 1, 1)) == "2026-12"
    assert previous_month(date(2026, 3, 31)) == "2026-02"


def test_paid_cases_reconcile_clean_and_a_rerun_gives_the_same_result(services_up):
    numbers = []
    for _ in range(2):
        case = factories.awaiting_approval(services_up)
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=120000, reason="ok", engine=services_up)
        numbers.append(case.case_number)
    provider = providers.payment()
    for number in numbers:
        assert [v.status.value for v in payouts.pay_case(number, provider)] == ["succeeded"]
    month = utcnow().astimezone(get_settings().zone).strftime("%Y-%m")
    first = reconcile_flow(month)
    assert first.startswith(f"{month} version 1: ") and "2 matched" in first
    summary = reconciliation.latest_run(month)
    assert summary.counts.get("matched") == 2 and summary.open_exceptions == 0
    again = reconcile_flow(month)
    assert reconciliation.latest_run(month).version == 1
    assert again.startswith(f"{month}: same result as version 1, nothing new stored: ")
