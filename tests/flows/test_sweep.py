"""Nothing stalls: a case decided while the stack was down, and one whose process was killed
between its payout and its closing, are carried on by the scheduled sweep, each exactly once."""

import httpx
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

from casetypes.hardship import hardship_intake
from flows.sweep import sweep_stalled_cases
from models.enums import CaseStatus
from services import approvals, payouts, providers
from services.settings import get_settings
from tests.factories import as_staff, resident_id, typed_in
from tests.flows.test_hardship_approval_wait import _serve, _stop, _wait_for_status
from tests.flows.test_hardship_flows import form, status_of


def _forget_runs(number: str) -> None:
    """The runs intake started for the case are gone: the stack went down before any picked it up."""
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"hardship-{number}"]))):
            client.delete_flow_run(run.id)


def _transfers(reference: str) -> int:
    url = get_settings().payment_url
    return httpx.get(f"{url}/sandbox/transfers/count", params={"reference": reference}).json()["transfers"]


def test_the_sweep_carries_on_an_unpaid_approved_case_and_an_unclosed_paid_one_once_each(services_up, tmp_path):
    decided = hardship_intake(*typed_in(form()))
    killed = hardship_intake(*typed_in(form(applicant_member_number="M0002", resident_id=resident_id(seq=2))))
    for number in (decided, killed):
        _forget_runs(number)
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible",
                               engine=services_up)  # no run is woken: Prefect was down
    provider = providers.payment()
    try:
        payouts.pay_case(killed, provider, engine=services_up)  # paid; the process dies before closing
    finally:
        provider.close()
    assert (status_of(services_up, decided), status_of(services_up, killed)) == (CaseStatus.approved, CaseStatus.paid)

    runner = _serve(services_up, tmp_path, "runner")
    try:
        assert sweep_stalled_cases(quiet_minutes=0) == {"started a run": 2}
        for number in (decided, killed):
            _wait_for_status(services_up, number, CaseStatus.closed)
    finally:
        _stop(runner)
    assert sweep_stalled_cases(quiet_minutes=0) == {}
    assert (_transfers(f"{decided}-P1"), _transfers(f"{killed}-P1")) == (1, 1)


def test_the_sweep_starts_nothing_for_a_case_a_live_run_carries_or_one_just_decided(services_up, tmp_path):
    _stop(_serve(services_up, tmp_path, "runner"))  # the deployments are known; nothing picks runs up
    number = hardship_intake(*typed_in(form()))
    _forget_runs(number)
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=services_up)
    assert sweep_stalled_cases(quiet_minutes=10) == {}  # just decided: its own run may still be on its way
    assert sweep_stalled_cases(quiet_minutes=0) == {"started a run": 1}
    assert sweep_stalled_cases(quiet_minutes=0) == {"a run is on it": 1}  # safe at any time: one run is enough
