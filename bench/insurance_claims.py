"""A claims batch of N generated mutual-insurance claims, with and without Prefect.

    .venv/bin/python bench/insurance_claims.py [--claims 10000,100000] [--pay-up-to 10000]
                                                [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each size, each pass runs in a process of its own (so its peak memory is its own), on a fresh
database of ours: SQLite (WAL) in a temporary directory, or a schema of its own on the PostgreSQL
given. Set-up, not measured: the sample organisation, N/5 members (each with five claims of
different days in the year, within the yearly cap), their enrolment in supplementary medical
through ``enrolment.import_enrolments`` (one contribution each), the pool funded, and the claims
CSV written (a hospital's settlement list: 12 columns, a diagnosis per row).

Measured, from registering the file to the last claim decided (and paid, for sizes up to
``--pay-up-to``, through the payment sandbox running as its own process):
- loop: ``batch.register_batch``, ``batch.plan``, then ``batch.take_chunk`` for every chunk in a
  plain Python loop: the service functions the flow's tasks call, without Prefect;
- prefect: ``batch.register_batch``, then the ``insurance-batch`` flow (one flow run, tasks over
  chunks of ``CHUNK_ROWS``, ``CONCURRENCY`` at a time, a progress artifact per chunk) under a
  temporary SQLite-backed Prefect server (``prefect_test_harness``, started before the clock).

The claims' events fall between March and September 2026, received nine days after; run it
before the end of 2027 (the claim deadline is a year).

Checks after every pass: N claims, each approved (or closed, when paid) once; transfers at the
sandbox equal to the claims paid. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

DOCUMENTS = "application_form;membership_proof;resident_id;diagnosis;discharge_summary;medical_invoices"
HEADER = ("caseworker,member_number,product,event_date,notified_on,received_on,hospital_days,expenses_yuan,"
          "claimed_yuan,diagnosis,invoices,documents")
DIAGNOSES = ("急性阑尾炎", "肺炎", "腰椎间盘突出", "胆囊结石", "骨折")


def one_pass(mode: str, claims: int, pay: bool, workdir: Path, postgres: str | None) -> dict[str, Any]:
    """Set up, then measure one pass (in this process); its figures as a dict."""
    os.environ["UNIONAID_DATA_DIR"] = str(workdir)
    os.environ["PREFECT_HOME"] = str(workdir / "prefect")
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    products = workdir / "products.toml"  # no sample drawn: every claim is approved automatically
    products.write_text((REPO_ROOT / "config" / "products" / "insurance-sample.toml").read_text(encoding="utf-8")
                        .replace("sample_percent = 5", "sample_percent = 0"), encoding="utf-8")
    os.environ["UNIONAID_INSURANCE_PRODUCT_FILE"] = str(products)
    schema = None
    if postgres:
        import sqlalchemy as sa

        schema = f"bench_{os.getpid()}"
        with sa.create_engine(postgres).begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        os.environ["UNIONAID_DATABASE_URL"] = f"{postgres}?options=-csearch_path%3D{schema}"
    else:
        os.environ["UNIONAID_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.db'}"
    try:
        return _measure(mode, claims, pay, workdir)
    finally:
        if schema:
            import sqlalchemy as sa

            from services import db as db_module

            db_module.get_engine().dispose()
            with sa.create_engine(postgres).begin() as conn:  # type: ignore[arg-type]
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def _set_up(claims: int, workdir: Path) -> Path:
    from casetypes.insurance import enrolment
    from services import db as db_module
    from services import member_import
    from services.migrate import upgrade
    from tests import factories
    from tests.factories import as_staff

    engine = db_module.get_engine()
    upgrade(engine)
    factories.organisation(engine)
    members = max(1, claims // 5)
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,bank_card"]
    for i in range(1, members + 1):
        birth = date(1970, 1, 1) + timedelta(days=i // 900)
        lines.append(f"B{i:06d},Member {i},{factories.resident_id(birth=birth.strftime('%Y%m%d'), seq=i % 900 + 1)},"
                     f"139{i:08d},G001,2015-03-01,{factories.bank_card(i)}")
    (workdir / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = member_import.import_members(workdir / "members.csv", actor="system", engine=engine)
    if report.problems:
        raise SystemExit(f"member import: {report.problems[:3]}")
    listing = workdir / "enrolment.csv"
    listing.write_text("member_number,product,shares,cover_from\n" + "".join(
        f"B{i:06d},supplementary_medical,1,2026-01-01\n" for i in range(1, members + 1)), encoding="utf-8")
    enrolled = enrolment.import_enrolments(listing, actor=as_staff("CW1"), engine=engine)
    if enrolled.problems:
        raise SystemExit(f"enrolment: {enrolled.problems[:3]}")
    enrolment.fund_pool("supplementary_medical", 2026, claims * 100_000, reference="BENCH-1",
                        actor=as_staff("FI1"), engine=engine)
    path = workdir / "claims.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(claims):
            member, k = n % members + 1, n // members  # the member's k-th claim of the year
            event = date(2026, 3, 1) + timedelta(days=40 * k + member % 30)
            out.write(f"CW1,B{member:06d},supplementary_medical,{event},{event + timedelta(days=2)},"
                      f"{event + timedelta(days=9)},{3 + n % 5},1800,1200,{DIAGNOSES[n % 5]},INV-{n:07d} 1800.00,"
                      f"{DOCUMENTS}\n")
    engine.dispose()
    return path


def _measure(mode: str, claims: int, pay: bool, workdir: Path) -> dict[str, Any]:
    import httpx
    from prefect.testing.utilities import prefect_test_harness
    from sqlalchemy import func, select

    from casetypes.insurance import batch
    from models.cases import Case
    from sandbox.testing import sandbox_process
    from services import providers
    from services.db import transaction
    from tests.factories import as_staff

    started = time.perf_counter()
    path = _set_up(claims, workdir)
    set_up_s = time.perf_counter() - started
    with sandbox_process("payment", "--db", str(workdir / "payment.db"), log_path=workdir / "payment.log") as pay_url, \
            prefect_test_harness(server_startup_timeout=180):
        os.environ["UNIONAID_PAYMENT_URL"] = pay_url
        from services.settings import get_settings

        get_settings.cache_clear()
        started = time.perf_counter()
        info = batch.register_batch(path, as_staff("CW1"))
        if mode == "loop":
            provider = providers.payment() if pay else None
            try:
                for chunk in batch.plan(info.reference):
                    batch.take_chunk(info.reference, chunk, provider=provider)
            finally:
                if provider is not None:
                    provider.close()  # type: ignore[attr-defined]
        else:
            from casetypes.insurance.batch_flow import insurance_batch

            insurance_batch(info.reference, pay=pay)
        seconds = time.perf_counter() - started
        with transaction() as session:
            by_status = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        transfers = httpx.get(f"{pay_url}/sandbox/transfers/count").json()["transfers"]
    done = {s.value: n for s, n in by_status.items()}
    expected = {"closed": claims} if pay else {"approved": claims}
    if done != expected or transfers != (claims if pay else 0):
        raise SystemExit(f"check failed after {mode}: {done}, {transfers} transfers")
    return {"mode": mode, "claims": claims, "pay": pay, "seconds": seconds, "per_s": claims / seconds,
            "set_up_s": set_up_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--pay-up-to", type=int, default=10_000, help="pay through the sandbox up to this size")
    parser.add_argument("--postgres", help="our database on this PostgreSQL (a schema per pass)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # mode:claims:pay, in a child process
    args = parser.parse_args()
    if args.one:
        mode, claims, pay = args.one.split(":")
        workdir = Path(tempfile.mkdtemp(prefix="unionaid-bench-claims-"))
        try:
            print(json.dumps(one_pass(mode, int(claims), pay == "1", workdir, args.postgres)))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    results = []
    for size in (int(s) for s in args.claims.split(",")):
        for mode in ("loop", "prefect"):
            command = [sys.executable, __file__, "--one", f"{mode}:{size}:{int(size <= args.pay_up_to)}"]
            if args.postgres:
                command += ["--postgres", args.postgres]
            load = os.getloadavg()[0]
            out = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO_ROOT)
            if out.returncode:
                raise SystemExit(f"{mode} {size}: {out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["load"] = load
            results.append(result)
            print(json.dumps(result), flush=True)
    database = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    print(f"\nclaims batch on {database}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| claims | paid | loop (s) | loop claims/s | Prefect (s) | Prefect claims/s | Prefect / loop | "
          "peak RSS loop / Prefect (MB) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    by = {(r["mode"], r["claims"]): r for r in results}
    for size in sorted({r["claims"] for r in results}):
        loop, pref = by[("loop", size)], by[("prefect", size)]
        print(f"| {size:,} | {'yes' if loop['pay'] else 'no'} | {loop['seconds']:.1f} | {loop['per_s']:.1f} | "
              f"{pref['seconds']:.1f} | {pref['per_s']:.1f} | {pref['per_s'] / loop['per_s']:.2f} | "
              f"{loop['peak_rss_mb']:.0f} / {pref['peak_rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
