"""Payouts per second through the payment sandbox: our exactly-once flow against the bare adapter.

    .venv/bin/python bench/payouts.py [--n 300] [--threads 4]

Starts the payment sandbox as its own process (``python -m sandbox payment``, no faults, its own
SQLite file) and a fresh SQLite database of ours (``services.migrate.upgrade``) in a temporary
directory, approves 2N cases through the services, then measures, in one run:

- ours: ``services.payouts.pay_case`` over N approved cases (prepare, commit "submitted", send,
  record the answer, post to the ledger), sequentially and with ``--threads`` worker threads;
- bare: ``HttpPaymentProvider.create_transfer`` for N new references, the same signed request the
  adapter sends, without our database, sequentially and with ``--threads`` threads.

Both sides use one production-built client (``services.http_signing.build_client``). Each figure
is N divided by the wall time of its phase, after one warm-up request. Figures are recorded in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
from sqlalchemy import Engine, func, select  # noqa: E402

from models.enums import CaseStatus, CaseType, Role  # noqa: E402
from models.payouts import Payout, PayoutStatus, outcome  # noqa: E402
from sandbox.testing import sandbox_process  # noqa: E402
from services import approvals, ledger, org  # noqa: E402
from services.cases import open_case, transition_case  # noqa: E402
from services.db import make_engine, transaction  # noqa: E402
from services.http_signing import build_client  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.payment_provider import HttpPaymentProvider  # noqa: E402
from services.payouts import pay_case  # noqa: E402
from services.settings import get_settings  # noqa: E402
from tests import factories  # noqa: E402

PROGRAMME = "HA-BENCH"
AMOUNT_FEN = 12_345
MEMBERS = 20


def approved_cases(engine: Engine, workdir: Path, count: int) -> list[str]:
    """``count`` approved cases, made through the services like any other."""
    factories.organisation(engine)
    factories.members(engine, workdir, count=MEMBERS)
    ledger.add_programme(PROGRAMME, "Benchmark relief", CaseType.hardship, factories.YEAR, count * AMOUNT_FEN,
                         engine=engine)
    org.add_staff("AP9", "Benchmark approver", "D000", [Role.approver], AMOUNT_FEN, engine=engine)
    numbers = []
    for i in range(count):
        case = open_case(case_type=CaseType.hardship, category="living_relief",
                         applicant_member_number=f"M{i % MEMBERS + 1:04d}", requested_fen=AMOUNT_FEN,
                         submitted_by=factories.as_staff("CW1"), engine=engine, programme_code=PROGRAMME, local_year=factories.YEAR)
        transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
        transition_case(case.case_number, CaseStatus.awaiting_approval, actor="system", reason="ok", engine=engine)
        approvals.approve_case(case.case_number, approver=factories.as_staff("AP9"), amount_fen=AMOUNT_FEN, reason="bench", engine=engine)
        numbers.append(case.case_number)
    return numbers


def rate(items: list[str], work: Callable[[str], object], threads: int) -> float:
    """Items per second for ``work`` over ``items``, sequentially (threads=1) or with a pool."""
    started = time.perf_counter()
    if threads == 1:
        for item in items:
            work(item)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, items))
    return len(items) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="payouts per measurement")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="unionaid-bench-payouts-"))
    try:
        measure(workdir, args.n, args.threads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def measure(workdir: Path, n: int, threads: int) -> None:
    settings = get_settings()
    engine = make_engine(f"sqlite:///{workdir / 'unionaid.db'}")
    upgrade(engine)
    started = time.perf_counter()
    cases = approved_cases(engine, workdir, 2 * n + 1)
    set_up_s = time.perf_counter() - started

    with sandbox_process("payment", "--db", str(workdir / "sandbox.db"), log_path=workdir / "sandbox.log") as url:
        provider = HttpPaymentProvider(build_client(), url, settings.payment_merchant_id,
                                       settings.payment_secret.get_secret_value())

        def ours(number: str) -> None:
            if outcome(view.status for view in pay_case(number, provider, engine=engine)) != PayoutStatus.succeeded:
                raise RuntimeError(f"{number} was not paid")

        def bare(reference: str) -> None:
            i = int(reference.rsplit("-", 1)[1])
            transfer = provider.create_transfer(reference, f"Member {i % MEMBERS + 1}",
                                                factories.bank_card(i % MEMBERS + 1), AMOUNT_FEN, f"bench {reference}")
            if transfer.status != "succeeded":
                raise RuntimeError(f"{reference} was not paid")

        ours(cases[0])  # warm-up: connection, first statements
        bare("BENCH-W-0")
        results = {
            "bare, sequential": rate([f"BENCH-S-{i}" for i in range(n)], bare, 1),
            "ours, sequential": rate(cases[1:n + 1], ours, 1),
            f"bare, {threads} threads": rate([f"BENCH-T-{i}" for i in range(n)], bare, threads),
            f"ours, {threads} threads": rate(cases[n + 1:], ours, threads),
        }
        transfers = httpx.get(f"{url}/sandbox/transfers/count").json()["transfers"]
        provider.close()

    with transaction(engine) as session:
        paid = session.execute(select(func.count()).select_from(Payout)
                               .where(Payout.status == PayoutStatus.succeeded)).scalar_one()
    engine.dispose()
    if paid != 2 * n + 1 or transfers != 4 * n + 2:
        raise SystemExit(f"check failed: {paid} payouts succeeded, {transfers} transfers at the sandbox")

    print(f"payouts through the sandbox: n={n} per row, {os.cpu_count()} cores, our database SQLite (WAL), "
          f"sandbox in its own process, no faults; set-up of {2 * n + 1} approved cases took {set_up_s:.1f} s")
    print(f"{'':26}{'payouts/s':>10}{'ours/bare':>11}")
    for label in ("ours, sequential", f"ours, {threads} threads", "bare, sequential", f"bare, {threads} threads"):
        ratio = ""
        if label.startswith("ours"):
            ratio = f"{results[label] / results[label.replace('ours', 'bare')]:.2f}"
        print(f"{label:26}{results[label]:10.1f}{ratio:>11}")
    print(f"check: {paid} payouts succeeded in our database, {transfers} transfers at the sandbox (ours + bare + 2 warm-up)")


if __name__ == "__main__":
    main()
