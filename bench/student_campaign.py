"""A 1,000-student autumn student-aid campaign (金秋助学) end to end, and what Prefect costs on top.

    .venv/bin/python bench/student_campaign.py [--students 1000] [--repeat 3]

Set-up, outside the measurement, in a temporary directory: a fresh SQLite database of ours
(``services.migrate.upgrade``), the sample organisation, N members, the HA-STUDENT 2026
programme, a student-aid campaign and N applications attached from one JSON file (intake through
``services.intake``). The membership registry and the payment provider run as sandbox processes
(``python -m sandbox registry|payment``) on real sockets. The database is then copied, so each
measured pass below starts from the same state; the payment sandbox is reset between passes.

Each pass is two "days" of the campaign, as a daily schedule would run it:
- day 1 (2026-09-21): verify every case against the registry, open the public notice
  (5 working days of the statutory calendar: it ends on 2026-09-28, after Mid-Autumn);
- day 2 (2026-09-29, the clock advanced past the notice): close the notice, approve the batch,
  pay every case through the payment sandbox, close the cases.

Passes, interleaved ``--repeat`` times (the figures are medians):
- ours: the same service calls the flow's tasks make (``services.campaigns``), in the same
  order, the same chunks of 50 on a pool of 4 threads, with the same progress and summary
  queries, without Prefect;
- prefect: ``flows.campaigns.student_aid_campaign`` twice (one flow run per day) under a
  temporary Prefect server (``prefect_test_harness``, SQLite-backed), default settings;
- prefect, heartbeat off: the same with ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` unset;
- skeleton: Prefect's machinery alone, the same flow shape with tasks that do nothing.

Prefect's share of a pass is ``(prefect - ours) / prefect``. Checks after each pass: every case
closed and paid once, and the sandbox holds exactly N transfers. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
WORKDIR = Path(tempfile.mkdtemp(prefix="unionaid-bench-campaign-"))
os.environ["UNIONAID_DATA_DIR"] = str(WORKDIR)
os.environ["UNIONAID_DATABASE_URL"] = f"sqlite:///{WORKDIR / 'setup.db'}"
os.environ["PREFECT_HOME"] = str(WORKDIR / "prefect")
os.environ.pop("PREFECT_API_URL", None)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from devtools.demo import write_registry_seed  # noqa: E402
from models.campaigns import chunks  # noqa: E402
from models.cases import Case  # noqa: E402
from models.enums import CaseStatus, CaseType  # noqa: E402
from sandbox.testing import sandbox_process  # noqa: E402
from services import campaigns, ledger, member_import, providers  # noqa: E402
from services import db as db_module  # noqa: E402
from services.db import transaction  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.settings import get_settings  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import as_staff  # noqa: E402

CODE = "student-aid-2026"
DAY_1, DAY_2 = date(2026, 9, 21), date(2026, 9, 29)
AMOUNT_YUAN = 4000
DOCS = ["application_form", "resident_id", "membership_proof", "income_proof", "admission_notice"]
C = CaseStatus


# --- set-up ------------------------------------------------------------------------------------


def use_database(path: Path) -> None:
    """Point the services' default engine (what the flow's tasks use) at ``path``."""
    os.environ["UNIONAID_DATABASE_URL"] = f"sqlite:///{path}"
    get_settings.cache_clear()
    db_module._engine_for.cache_clear()


def person(i: int) -> tuple[str, str]:
    """A distinct valid resident ID and bank card per member."""
    birth = date(1975, 1, 1) + timedelta(days=i // 900)
    return factories.resident_id(birth=birth.strftime("%Y%m%d"), seq=i % 900 + 1), factories.bank_card(i)


def set_up(students: int) -> tuple[float, float]:
    """Our database with the campaign's applications attached; (seconds for members, for intake)."""
    engine = db_module.get_engine()
    upgrade(engine)
    factories.organisation(engine)
    factories.enrol(engine, "AP1")  # the approver of the Prefect pass's batch-approval run proves who they are
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, students * AMOUNT_YUAN * 100,
                         engine=engine)
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,bank_card"]
    for i in range(1, students + 1):
        rid, card = person(i)
        lines.append(f"S{i:05d},Student parent {i},{rid},139{i:08d},G001,2015-03-01,{card}")
    members_csv = WORKDIR / "members.csv"
    members_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    report = member_import.import_members(members_csv, actor="system", engine=engine)
    members_s = time.perf_counter() - started
    if report.problems:
        raise SystemExit(f"member import: {report.problems[:3]}")
    write_registry_seed(WORKDIR / "registry.json", engine=engine)
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", opened_on=date(2026, 9, 1),
                              engine=engine)
    applications = [{"caseworker": "CW1", "applicant_member_number": f"S{i:05d}", "resident_id": person(i)[0],
                     "category": "student_aid", "tier_claimed": "deep", "student_level": "university",
                     "household": [{"name": "Parent", "relation": "self", "monthly_income_yuan": "600"},
                                   {"name": "Student", "relation": "child", "monthly_income_yuan": "0"}],
                     "reason": "admitted to university",
                     "documents_provided": DOCS, "months_below_line": 8, "applied_on": "2026-09-01"}
                    for i in range(1, students + 1)]
    path = WORKDIR / "applications.json"
    path.write_text(json.dumps(applications, ensure_ascii=False), encoding="utf-8")
    started = time.perf_counter()
    attached = campaigns.attach_applications(CODE, path, submitted_by=as_staff("CW1"), engine=engine)
    intake_s = time.perf_counter() - started
    if attached.problems or len(attached.attached) != students:
        raise SystemExit(f"intake: {len(attached.attached)} attached, problems {attached.problems[:3]}")
    engine.dispose()
    with sqlite3.connect(WORKDIR / "setup.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return members_s, intake_s


# --- the passes ----------------------------------------------------------------------------------


PHASES: dict[str, float] = {}  # seconds per phase of the pass without Prefect


def without_prefect(today: date) -> None:
    """One day of the campaign: the calls ``flows.campaigns.student_aid_campaign`` makes, minus Prefect."""
    from flows.campaigns import CHUNK_SIZE, CONCURRENCY

    def in_chunks(work: Callable[[list[str]], dict[str, int]], numbers: list[str], phase: str) -> None:
        started = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for _ in pool.map(work, list(chunks(numbers, CHUNK_SIZE))):
                campaigns.campaign_progress(CODE)  # the flow updates its progress bar per chunk
        PHASES[phase] = time.perf_counter() - started

    def verify(part: list[str]) -> dict[str, int]:
        registry = providers.registry()
        try:
            return campaigns.verify_cases(part, registry)
        finally:
            registry.close()

    def pay(part: list[str]) -> dict[str, int]:
        provider = providers.payment()
        try:
            return campaigns.pay_cases(part, provider)
        finally:
            provider.close()

    status = campaigns.CampaignStatus
    view = campaigns.campaign_view(CODE)
    campaigns.campaign_progress(CODE)
    if view.status != status.done:
        numbers = campaigns.case_numbers(CODE, (C.submitted, C.verifying))
        if numbers:
            in_chunks(verify, numbers, "verification")
    if view.status == status.open:
        view = campaigns.open_notice(CODE, today=today)
    if view.status in (status.notice, status.approving, status.paying):
        campaigns.supplementary_notice(CODE, today=today)
    if view.status == status.notice and not campaigns.close_notice(CODE, today=today):
        campaigns.summary_markdown(CODE)
        campaigns.campaign_view(CODE)
        return
    view = campaigns.campaign_view(CODE)
    if view.status in (status.approving, status.paying):
        numbers = campaigns.case_numbers(CODE, (C.awaiting_approval,), batch_only=True)
        if numbers:
            in_chunks(lambda part: campaigns.approve_cases(CODE, part, approver=as_staff("AP1")), numbers, "approval")
    if view.status == status.approving:
        campaigns.finish_approval(CODE)
    if campaigns.campaign_view(CODE).status == status.paying:
        in_chunks(pay, campaigns.case_numbers(CODE, (C.approved, C.payout_pending, C.paid), batch_only=True),
                  "payment and closing")
        campaigns.settle_objections(CODE)
        campaigns.finish_if_done(CODE)
    campaigns.summary_markdown(CODE)
    campaigns.campaign_view(CODE)


FLOW_RUNS: list[Any] = []  # ids of the flow runs of the last Prefect pass


def with_prefect(today: date) -> None:
    """The day's run, and the approver's batch-approval run when the batch waits for it."""
    from flows.campaigns import BatchApproval, approve_campaign, student_aid_campaign

    state = student_aid_campaign(CODE, today=today, return_state=True)
    FLOW_RUNS.append(state.state_details.flow_run_id)
    if (state.result().get("approval") or {}).get("waiting for the batch approval"):
        code = factories.fresh_code(db_module.get_engine(), "AP1")
        approval = approve_campaign(BatchApproval(campaign_code=CODE, approver="AP1", one_time_code=code),
                                    return_state=True)
        FLOW_RUNS.append(approval.state_details.flow_run_id)


def task_runs(flow_run_ids: list[Any]) -> int:
    import asyncio

    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    async def count() -> int:
        async with get_client() as client:
            total = 0
            for run_id in flow_run_ids:  # the API gives at most 200 at a time; a run here has fewer
                total += len(await client.read_task_runs(task_run_filter=TaskRunFilter(
                    flow_run_id=TaskRunFilterFlowRunId(any_=[run_id])), limit=200))
            return total
    return asyncio.run(count())


def run_pass(name: str, day: Callable[[date], None], payment_url: str, students: int) -> dict[str, Any]:
    path = WORKDIR / f"{name}.db"
    shutil.copy(WORKDIR / "setup.db", path)
    use_database(path)
    httpx.post(f"{payment_url}/sandbox/reset").raise_for_status()
    times = []
    for today in (DAY_1, DAY_2):
        started = time.perf_counter()
        day(today)
        times.append(time.perf_counter() - started)
    with transaction() as session:
        closed = session.execute(select(func.count()).select_from(Case).where(Case.status == C.closed)).scalar_one()
        paid = session.execute(select(func.sum(Case.paid_fen))).scalar_one()
    transfers = httpx.get(f"{payment_url}/sandbox/transfers/count").json()["transfers"]
    status = campaigns.campaign_view(CODE).status.value
    db_module.get_engine().dispose()
    if (closed, paid, transfers, status) != (students, students * AMOUNT_YUAN * 100, students, "done"):
        raise SystemExit(f"check failed after {name}: {closed} closed, {paid} fen paid, {transfers} transfers, {status}")
    return {"day1": times[0], "day2": times[1], "total": sum(times)}


def skeleton_seconds(students: int) -> float:
    """Prefect's machinery alone: the campaign's two flow runs in the same shape (the same task
    runs, chunks on the same pool, the same progress updates), each task doing nothing."""
    from prefect import flow, task, unmapped
    from prefect.artifacts import create_progress_artifact, update_progress_artifact
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.campaigns import CHUNK_SIZE, CONCURRENCY

    @task
    def step(*_: Any) -> dict[str, int]:
        return {}

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY))
    def shape(day: int) -> None:
        parts = [list(range(CHUNK_SIZE))] * -(-students // CHUNK_SIZE)
        step()  # campaign status
        if day == 2:
            step()  # the cases still to verify (none)
            step()  # supplementary-notice
            step()  # close-notice, before the status read again for approval
        progress = create_progress_artifact(progress=0.0, key="campaign-skeleton-progress", description="skeleton")
        for phase in (("verify",) if day == 1 else ("approve", "pay")):
            step()  # the case numbers
            for future in step.map(unmapped(phase), parts):
                future.wait()
                update_progress_artifact(progress, progress=50.0)
            step()  # open-notice / finish-approval / finish-campaign
            if phase == "verify":
                step()  # supplementary-notice, once the notice is open
        step()  # close-notice on day 1; the status before approval on day 2
        step()  # the status for the summary

    started = time.perf_counter()
    shape(1)
    shape(2)
    return time.perf_counter() - started


def warm_up() -> None:
    """A first flow run pays for imports and registration; a long-running worker has paid it already."""
    from prefect import flow, task

    @task
    def step() -> int:
        return 1

    @flow
    def warm() -> int:
        return step()

    warm()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions of the three passes")
    args = parser.parse_args()
    try:
        measure(args.students, args.repeat)
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)


def measure(students: int, repeat: int) -> None:
    import statistics

    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    started = time.perf_counter()
    members_s, intake_s = set_up(students)
    set_up_s = time.perf_counter() - started
    passes: dict[str, list[dict[str, float]]] = {"ours": [], "prefect": [], "quiet": []}
    loads, skeletons, tasks = [], [], 0
    with sandbox_process("registry", "--members", str(WORKDIR / "registry.json"),
                         log_path=WORKDIR / "sandbox-registry.log") as registry_url, \
            sandbox_process("payment", "--db", str(WORKDIR / "sandbox-payment.db"),
                            log_path=WORKDIR / "sandbox-payment.log") as payment_url:
        os.environ["UNIONAID_REGISTRY_URL"] = registry_url
        os.environ["UNIONAID_PAYMENT_URL"] = payment_url
        started = time.perf_counter()
        with prefect_test_harness(server_startup_timeout=120):
            server_s = time.perf_counter() - started
            warm_up()
            # Interleaved, so that a busy moment on the machine hits every kind of pass alike.
            for _ in range(repeat):
                loads.append(os.getloadavg()[0])
                passes["ours"].append(run_pass("ours", without_prefect, payment_url, students))
                FLOW_RUNS.clear()
                passes["prefect"].append(run_pass("prefect", with_prefect, payment_url, students))
                tasks = task_runs(FLOW_RUNS)
                with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                    passes["quiet"].append(run_pass("prefect-no-heartbeat", with_prefect, payment_url, students))
                skeletons.append(skeleton_seconds(students))

    def median(name: str, key: str) -> float:
        return statistics.median(p[key] for p in passes[name])

    def share(name: str, key: str) -> str:
        shares = [100 * (p[key] - o[key]) / p[key] for p, o in zip(passes[name], passes["ours"], strict=True)]
        spread = f" ({min(shares):.0f} to {max(shares):.0f})" if len(shares) > 1 else ""
        return f"{100 * (median(name, key) - median('ours', key)) / median(name, key):.1f}%{spread}"

    print(f"\nautumn student aid campaign: {students} students, {repeat} interleaved repetitions (medians; each share's "
          f"range over the repetitions in brackets), {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"our database SQLite (WAL), registry and payment sandboxes in their own processes, a temporary "
          f"SQLite-backed Prefect server; set-up {set_up_s:.1f} s (member import {members_s:.1f} s, intake of the "
          f"applications {intake_s:.1f} s), Prefect server start {server_s:.1f} s (not counted); "
          f"1-minute load average at the start of each repetition: {', '.join(f'{x:.1f}' for x in loads)}")
    print("| | ours, no Prefect (s) | Prefect (s) | Prefect share | Prefect, heartbeat off (s) | Prefect share |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for key, label in (("day1", "day 1: verification, notice opened"),
                       ("day2", "day 2: notice closed, approval, payment"), ("total", "campaign")):
        print(f"| {label} | {median('ours', key):.1f} | {median('prefect', key):.1f} | {share('prefect', key)} | "
              f"{median('quiet', key):.1f} | {share('quiet', key)} |")
    print("our work by phase, last repetition (s): "
          + ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in PHASES.items()))
    print(f"Prefect: 2 flow runs and {tasks} task runs per campaign; per student, end to end: ours "
          f"{1000 * median('ours', 'total') / students:.1f} ms, Prefect {1000 * median('prefect', 'total') / students:.1f} ms")
    print(f"Prefect's machinery alone (the same two flow runs, task runs and progress updates, the tasks doing "
          f"nothing; default settings): median {statistics.median(skeletons):.1f} s "
          f"({', '.join(f'{x:.1f}' for x in skeletons)})")
    print(f"check: every pass closed {students} cases, paid {students} x {AMOUNT_YUAN} yuan, "
          f"{students} transfers at the sandbox")


if __name__ == "__main__":
    main()
