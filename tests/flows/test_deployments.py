"""The deployments ``python -m deployments`` serves, checked against what the README promises:
names, the flow behind each, and when the scheduled ones run (Asia/Shanghai).

The expectation below is written out by hand, not derived from ``deployments/registry.py``; the
fire times are computed by Prefect's own server-side schedule model, as its scheduler would."""

import asyncio
from datetime import UTC, datetime

import pytest
from prefect.server.schemas.schedules import CronSchedule as ServerCronSchedule

from deployments.registry import build_deployments

# deployment → (flow's entrypoint, schedule (cron, timezone) or None)
EXPECTED = {
    "case-transition/by-hand": ("flows/case_transition.py:move_case", None),
    "hardship-intake/intake": ("casetypes/hardship/intake.py:hardship_intake", None),
    "case/hardship": ("flows/case.py:case", None),
    "mediation-intake/intake": ("casetypes/mediation/intake.py:mediation_intake", None),
    "case/mediation": ("flows/case.py:case", None),
    "mediation-advance-intake/intake": ("casetypes/mediation/advance_spec.py:advance_intake", None),
    "case/mediation_advance": ("flows/case.py:case", None),
    "insurance-intake/intake": ("casetypes/insurance/intake.py:insurance_intake", None),
    "case/insurance": ("flows/case.py:case", None),
    "insurance-batch/bulk": ("casetypes/insurance/batch_flow.py:insurance_batch", None),
    "student-aid-campaign/daily": ("flows/campaigns.py:student_aid_campaign", ("0 9 * * *", "Asia/Shanghai")),
    "seasonal-relief/seasonal": ("flows/campaigns.py:seasonal_relief", None),
    "campaign-approval/batch-approval": ("flows/campaigns.py:approve_campaign", None),
    "payout/one-case": ("flows/payout.py:pay_case_flow", None),
    "pay-approved/batch": ("flows/payout.py:pay_approved_cases", None),
    "resolve-payouts/every-5-minutes": ("flows/payout.py:resolve_open_payouts", ("*/5 * * * *", "Asia/Shanghai")),
    "sweep-stalled-cases/every-10-minutes": ("flows/sweep.py:sweep_stalled_cases", ("*/10 * * * *", "Asia/Shanghai")),
    "reconcile/monthly": ("flows/reconciliation.py:reconcile_flow", ("0 3 1 * *", "Asia/Shanghai")),
    "deadlines/daily": ("flows/deadlines.py:deadlines", ("30 0 * * *", "Asia/Shanghai")),
    "audit-verify/nightly": ("flows/audit_verify.py:verify_audit_trail", ("30 2 * * *", "Asia/Shanghai")),
}


@pytest.fixture(scope="module")
def built():
    return {f"{d.flow_name}/{d.name}": d for d in build_deployments()}


def _schedules(deployment):
    return [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules or [] if s.active]


def test_every_deployment_the_readme_names_is_served_with_its_flow_and_nothing_else(built):
    assert {name: d.entrypoint for name, d in built.items()} == {name: flow for name, (flow, _) in EXPECTED.items()}


def test_each_deployment_has_the_schedule_the_readme_states_and_the_others_have_none(built):
    assert {name: _schedules(d) for name, d in built.items()} == {
        name: [schedule] if schedule else [] for name, (_, schedule) in EXPECTED.items()
    }


def _next_runs(deployment, after, n=3):
    [schedule] = deployment.schedules
    as_the_server_sees_it = ServerCronSchedule.model_validate(schedule.schedule.model_dump())
    return [d.astimezone(UTC) for d in asyncio.run(as_the_server_sees_it.get_dates(n, start=after))]


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_the_student_aid_campaign_runs_every_day_at_nine_in_shanghai(built):
    assert _next_runs(built["student-aid-campaign/daily"], utc(2026, 9, 20, 12, 0)) == [
        utc(2026, 9, 21, 1, 0), utc(2026, 9, 22, 1, 0), utc(2026, 9, 23, 1, 0)]  # 09:00 +08:00


def test_reconciliation_runs_at_three_on_the_first_of_each_month_in_shanghai(built):
    assert _next_runs(built["reconcile/monthly"], utc(2026, 10, 15, 12, 0)) == [
        utc(2026, 10, 31, 19, 0), utc(2026, 11, 30, 19, 0), utc(2026, 12, 31, 19, 0)]  # 1 Nov, 1 Dec, 1 Jan 03:00


def test_the_audit_chain_is_verified_every_night_at_half_past_two_in_shanghai(built):
    assert _next_runs(built["audit-verify/nightly"], utc(2026, 10, 15, 12, 0)) == [
        utc(2026, 10, 15, 18, 30), utc(2026, 10, 16, 18, 30), utc(2026, 10, 17, 18, 30)]  # 02:30 the next day


def test_the_payout_resolver_runs_every_five_minutes(built):
    assert _next_runs(built["resolve-payouts/every-5-minutes"], utc(2026, 10, 15, 12, 2)) == [
        utc(2026, 10, 15, 12, 5), utc(2026, 10, 15, 12, 10), utc(2026, 10, 15, 12, 15)]


def test_the_hand_move_deployment_has_a_documented_run_form(built):
    schema = built["case-transition/by-hand"]._parameter_openapi_schema.model_dump()
    form = schema["definitions"]["CaseMove"]
    assert form["properties"]["case_number"]["title"] == "Case number 案件编号"
    assert form["properties"]["reason"]["description"].startswith("why")
    assert "pattern" in form["properties"]["case_number"]
    assert set(form["required"]) == {"case_number", "to_status", "staff_number", "one_time_code", "reason"}
    assert form["properties"]["one_time_code"]["title"] == "One-time code 动态码"


def test_every_entrypoint_loads_as_the_runner_loads_it_in_a_fresh_process(built):
    """The runner loads a deployment's flow from its entrypoint as a script, in a process of its
    own, with the script's folder first on the path: a module there named like one of our packages
    (a ``tasks.py`` in a case type's folder) hides the package, and the run crashes before its first
    task. Found by submitting the mediation form in the Prefect UI."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from services.settings import REPO_ROOT

    # What the flow engine does with a run's entrypoint (prefect.flow_engine.load_flow): the file as a script.
    script = ("import sys\nfrom prefect.utilities.importtools import load_script_as_module\n"
              "path, name = sys.argv[1].split(':')\ngetattr(load_script_as_module(path), name)\n")

    def load(entrypoint):
        done = subprocess.run([sys.executable, "-c", script, entrypoint], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=600)
        return entrypoint, done.returncode, done.stderr[-1500:]

    with ThreadPoolExecutor(max_workers=2) as pool:
        failed = [(e, err) for e, code, err in pool.map(load, sorted({d.entrypoint for d in built.values()})) if code]
    assert failed == []
