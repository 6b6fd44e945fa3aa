"""The daily deadlines run over many open mediation cases: its time grows with the clocks due, not
with the cases open.

    .venv/bin/python bench/deadlines.py      # --scenarios 10000:1000,100000:1000,100000:10000

Each scenario is OPEN:DUE. For each it builds, outside the measurement, a fresh SQLite database
with OPEN mediation cases in mediation (bulk-inserted, each with its open 15-day clock), of which
DUE have a clock whose last day was yesterday and the rest one a month ahead. Then, on a copy of
that database each:

- ours: the ``deadlines`` flow under Prefect (a temporary Prefect server): every due clock
  breached in its own transaction, the case referred to arbitration with its audit event, the
  overview and the overdue receivables listed, the artifact published;
- baseline: the same transitions in a plain loop without Prefect: ``services.deadline_runs
  .breach_overdue``, the same service the flow calls, in this process.

Checks: every due case is referred and no other case moves, in both; the audit chain is intact.
Figures (wall time per scenario, per clock, and ours/baseline) go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
WORK = Path(tempfile.mkdtemp(prefix="unionaid-bench-deadlines-"))
os.environ.setdefault("PREFECT_HOME", str(WORK / "prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["UNIONAID_DATA_DIR"] = str(WORK / "data")

from sqlalchemy import func, insert, select  # noqa: E402

TODAY = date(2026, 11, 20)  # a Friday; the clocks due ended Thursday the 19th


def build(path: Path, open_cases: int, due: int) -> None:
    """A migrated database with ``open_cases`` mediation cases in mediation, ``due`` of them due."""
    from models.cases import Case
    from models.clocks import Deadline, DeadlineState
    from models.enums import CaseStatus, CaseType
    from models.org import Staff, Unit
    from services.db import make_engine, transaction
    from services.migrate import upgrade
    from tests import factories

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factories.organisation(engine)
    with transaction(engine) as s:
        unit_id = s.execute(select(Unit.id).where(Unit.code == "G001")).scalar_one()
        staff_id = s.execute(select(Staff.id).where(Staff.staff_number == "CW1")).scalar_one()
    received = datetime(2026, 11, 4, 2, tzinfo=UTC)
    for start in range(0, open_cases, 20_000):
        numbers = range(start + 1, min(open_cases, start + 20_000) + 1)
        with transaction(engine) as s:
            s.execute(insert(Case), [{"case_number": f"MD-2026-{n:06d}", "case_type": CaseType.mediation,
                                      "category": "unpaid_wages", "status": CaseStatus.in_mediation,
                                      "applicant_member_id": None, "unit_id": unit_id, "requested_fen": 0,
                                      "paid_fen": 0, "submitted_by_staff_id": staff_id, "submitted_at": received,
                                      "updated_at": received, "version": 1} for n in numbers])
            ids = s.execute(select(Case.id, Case.case_number).where(Case.case_number.in_(  # type: ignore[attr-defined]
                [f"MD-2026-{n:06d}" for n in numbers]))).all()
            s.execute(insert(Deadline), [{"case_id": case_id, "kind": "mediation", "started_on": date(2026, 11, 4),
                                          "due_on": TODAY - timedelta(days=1) if int(number[-6:]) <= due
                                          else TODAY + timedelta(days=30),
                                          "basis": "15 days from the day after it started", "state": DeadlineState.open,
                                          "started_at": received} for case_id, number in ids])
    with sqlite3.connect(path) as raw:
        raw.execute("ANALYZE")
    engine.dispose()


def check(path: Path, due: int, open_cases: int) -> None:
    from models.cases import Case
    from models.enums import CaseStatus
    from services.audit import verify_chain
    from services.db import make_engine, transaction

    engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as s:
        referred = s.execute(select(func.count()).select_from(Case)
                             .where(Case.status == CaseStatus.referred_to_arbitration)).scalar_one()  # type: ignore[arg-type]
        still = s.execute(select(func.count()).select_from(Case)
                          .where(Case.status == CaseStatus.in_mediation)).scalar_one()  # type: ignore[arg-type]
        intact = verify_chain(s).intact
    engine.dispose()
    assert (referred, still, intact) == (due, open_cases - due, True), (referred, still, intact)


def use(path: Path) -> None:
    from services.db import _engine_for
    from services.settings import get_settings

    os.environ["UNIONAID_DATABASE_URL"] = f"sqlite:///{path}"
    get_settings.cache_clear()
    _engine_for.cache_clear()


def ours(path: Path) -> float:
    from flows.deadlines import deadlines

    use(path)
    started = time.perf_counter()
    result = deadlines(on=TODAY)
    took = time.perf_counter() - started
    assert result["breached"] > 0
    return took


def baseline(path: Path) -> float:
    from services import deadline_runs

    use(path)
    started = time.perf_counter()
    breached = deadline_runs.breach_overdue(TODAY)
    took = time.perf_counter() - started
    assert breached
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default="10000:1000,100000:1000,100000:10000",
                        help="comma-separated OPEN:DUE pairs: open mediation cases, clocks due among them")
    args = parser.parse_args()
    scenarios = [tuple(int(x) for x in pair.split(":")) for pair in args.scenarios.split(",")]
    from prefect.testing.utilities import prefect_test_harness

    import casetypes  # noqa: F401  (mediation's moves and clocks)

    rows = []
    with prefect_test_harness(server_startup_timeout=180):
        from flows.deadlines import deadlines

        warm = WORK / "warm.db"
        build(warm, 10, 1)
        use(warm)
        deadlines(on=TODAY)  # the first run pays for imports and registration
        for open_cases, due in scenarios:
            template = WORK / f"open-{open_cases}-{due}.db"
            build(template, open_cases, due)
            for name, run in (("ours", ours), ("baseline", baseline)):
                copy = WORK / f"{name}-{open_cases}-{due}.db"
                with sqlite3.connect(template) as source, sqlite3.connect(copy) as target:
                    source.backup(target)  # a WAL database is copied whole only this way
                took = run(copy)
                check(copy, due, open_cases)
                rows.append(((open_cases, due), name, took))
    print(f"deadlines: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("| open cases | clocks due | ours (s) | baseline (s) | ours per clock (ms) | ours/baseline |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    by = {(scenario, name): took for scenario, name, took in rows}
    for scenario in scenarios:
        o, b = by[(scenario, "ours")], by[(scenario, "baseline")]
        print(f"| {scenario[0]:,} | {scenario[1]:,} | {o:.1f} | {b:.1f} | {o / scenario[1] * 1000:.2f} | {o / b:.2f} |")
    for one, other in zip(scenarios, scenarios[1:], strict=False):
        print(f"from {one[0]:,}:{one[1]:,} to {other[0]:,}:{other[1]:,} (open ×{other[0] / one[0]:g}, due "
              f"×{other[1] / one[1]:g}): ours ×{by[(other, 'ours')] / by[(one, 'ours')]:.2f}, baseline "
              f"×{by[(other, 'baseline')] / by[(one, 'baseline')]:.2f}")
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
