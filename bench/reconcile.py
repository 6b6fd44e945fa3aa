"""Monthly reconciliation of a million lines: our streaming matcher against a load-everything baseline.

    .venv/bin/python bench/reconcile.py                                   # SQLite only
    .venv/bin/python bench/reconcile.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

For each database (a SQLite file in a temporary directory; PostgreSQL in a throwaway schema,
dropped afterwards) it builds, outside the measurement:
- 1,000,000 payouts in our ledger (bulk-inserted: 1,000 cases of 1,000 attempts each; the
  matcher reads only the payout table), for the month 2026-03;
- a 1,000,000-line statement CSV in random order, with ``--per-class`` (default 100) planted
  discrepancies of each class: amount mismatch, status mismatch (half "we say succeeded, they
  say failed", half "we say unknown, they say succeeded"), paid by the provider but unknown to
  us, recorded by us as paid but absent at the provider, and references listed twice. Noise
  that must *not* be reported: payouts prepared but never sent, 1,000 failed on both sides,
  payouts in flight ("submitted" / "processing"), and payouts created in the last minute of
  February that the provider lists in March.

Then each matcher runs in its own process, so peak memory (``ru_maxrss``, the whole process)
does not mix:
- ours: ``services.reconciliation.reconcile_month`` on the statement file, storing version 1
  (and then once more: the re-run must say "same result" and store nothing);
- baseline: the straightforward way: ``payment_provider.parse_statement`` on the whole file
  text, every payout loaded into a dictionary, then ``models.reconciliation.classify`` per
  reference (so both produce the same items and the same digest). It stores nothing.

Checks: both find exactly the planted discrepancies and nothing else, the counts per class are
what was planted, and the two result digests are equal. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import Engine, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

MONTH = "2026-03"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTEMPTS_PER_CASE = 1_000
FAILED_BOTH = 1_000
PAYEE_MASKED = "6222********0001"


# --- the planted month ---------------------------------------------------------------------------


@dataclass
class PlantedMonth:
    payouts: list[tuple[str, int, str, datetime]] = field(default_factory=list)  # reference, fen, status, created
    lines: list[str] = field(default_factory=list)  # statement CSV rows
    expected: set[tuple[str, str]] = field(default_factory=set)  # (class, reference) that must be found
    counts: Counter[str] = field(default_factory=Counter)


def plant(total: int, per_class: int, rng: random.Random) -> PlantedMonth:
    """``total`` payouts and ``total`` statement lines with ``per_class`` discrepancies of each class."""
    start = datetime(2026, 3, 1, tzinfo=SHANGHAI).astimezone(UTC)
    month_seconds = 31 * 86_400 - 120
    last_minute_of_february = datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI).astimezone(UTC)
    k = per_class
    kinds = (["amount"] * k + ["status_paid_failed"] * (k // 2) + ["status_unknown_paid"] * (k - k // 2)
             + ["ours_only"] * k + ["duplicate"] * k + ["never_sent"] * k + ["failed_both"] * FAILED_BOTH
             + ["in_flight"] * k + ["boundary"] * k)
    kinds += ["matched"] * (total - len(kinds))
    rng.shuffle(kinds)
    month = PlantedMonth()

    def statement_line(reference: str, provider_id: str, status: str, created: datetime, fen: int) -> str:
        moment = (created + timedelta(milliseconds=rng.randint(5, 900))).astimezone(SHANGHAI)
        return f"{reference},{provider_id},{status},{moment.isoformat(timespec='milliseconds')},{fen // 100}.{fen % 100:02d},{PAYEE_MASKED}"

    for i, kind in enumerate(kinds):
        reference = f"HA-2026-{i // ATTEMPTS_PER_CASE + 1:06d}-P{i % ATTEMPTS_PER_CASE + 1}"
        fen = rng.randint(100, 300_000)
        created = start + timedelta(seconds=rng.randint(0, month_seconds), microseconds=rng.randint(0, 999_999))
        ours_status, theirs = "succeeded", "succeeded"
        if kind == "boundary":
            created = last_minute_of_february + timedelta(seconds=rng.randint(0, 58))
        elif kind == "status_paid_failed":
            theirs = "failed"
        elif kind == "status_unknown_paid":
            ours_status = "unknown"
        elif kind == "failed_both":
            ours_status = theirs = "failed"
        elif kind == "in_flight":
            ours_status, theirs = "submitted", "processing"
        elif kind == "never_sent":
            ours_status = "prepared"
        month.payouts.append((reference, fen, ours_status, created))
        provider_id = f"sbx{rng.getrandbits(96):024x}"
        line_created = created
        if kind == "boundary":  # prepared at 23:59 on 28 February, received by the provider after midnight
            line_created = datetime(2026, 3, 1, tzinfo=SHANGHAI).astimezone(UTC) + timedelta(seconds=rng.randint(0, 30))
        if kind in ("ours_only", "never_sent"):
            pass
        elif kind == "amount":
            month.lines.append(statement_line(reference, provider_id, theirs, line_created, fen + rng.choice((-1, 1, 100, 5_000))
                                              if fen > 5_000 else fen + 1))
        else:
            month.lines.append(statement_line(reference, provider_id, theirs, line_created, fen))
            if kind == "duplicate":
                month.lines.append(statement_line(reference, provider_id[:-4] + "dup0", theirs, line_created, fen))
        expected_class = {"amount": "amount_mismatch", "status_paid_failed": "status_mismatch",
                          "status_unknown_paid": "status_mismatch", "ours_only": "ours_only",
                          "duplicate": "duplicate"}.get(kind)
        if expected_class:
            month.expected.add((expected_class, reference))
        month.counts[expected_class or ("unpaid_not_at_provider" if kind == "never_sent" else "matched")] += 1
    for j in range(k):
        reference = f"HA-2026-{900_000 + j:06d}-P1"
        created = start + timedelta(seconds=rng.randint(0, month_seconds))
        month.lines.append(statement_line(reference, f"sbx{rng.getrandbits(96):024x}",
                                          "succeeded", created, rng.randint(100, 300_000)))
        month.expected.add(("provider_only", reference))
        month.counts["provider_only"] += 1
    rng.shuffle(month.lines)
    return month


def write_statement(month: PlantedMonth, path: Path) -> None:
    from services.payment_provider import STATEMENT_COLUMNS

    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(STATEMENT_COLUMNS) + "\n")
        for chunk in range(0, len(month.lines), 100_000):
            out.write("\n".join(month.lines[chunk:chunk + 100_000]) + "\n")


# --- our ledger ----------------------------------------------------------------------------------


def fill_ledger(engine: Engine, workdir: Path, month: PlantedMonth) -> None:
    """The organisation through the services, then cases and payouts bulk-inserted."""
    from models.cases import Case
    from models.enums import CaseStatus, CaseType
    from models.members import Member
    from models.org import Staff, Unit
    from models.payouts import Payout
    from services.db import is_postgres, transaction
    from tests import factories

    factories.organisation(engine)
    factories.members(engine, workdir, count=1)
    with transaction(engine) as s:
        member_id = s.execute(select(Member.id)).scalar_one()
        unit_id = s.execute(select(Unit.id).where(Unit.code == "G001")).scalar_one()
        staff_id = s.execute(select(Staff.id).where(Staff.staff_number == "CW1")).scalar_one()
        now = datetime(2026, 2, 1, tzinfo=UTC)
        s.execute(insert(Case), [{"case_number": f"HA-2026-{n:06d}", "case_type": CaseType.hardship,
                                  "category": "living_relief", "status": CaseStatus.paid,
                                  "applicant_member_id": member_id, "unit_id": unit_id, "requested_fen": 1,
                                  "approved_fen": 1, "paid_fen": 1, "submitted_by_staff_id": staff_id,
                                  "submitted_at": now, "updated_at": now, "version": 1}
                                 for n in range(1, len(month.payouts) // ATTEMPTS_PER_CASE + 2)])
        case_ids = {number: id_ for number, id_ in s.execute(select(Case.case_number, Case.id))}

    columns = ("case_id", "attempt", "reference", "amount_fen", "payee_name", "bank_account_enc",
               "bank_account_masked", "status", "provider_id", "send_count", "created_at", "updated_at",
               "completed_at")

    def rows():
        for reference, fen, status, created in month.payouts:
            case_number, attempt = reference.rsplit("-P", 1)
            done = created + timedelta(seconds=2) if status in ("succeeded", "failed") else None
            yield (case_ids[case_number], int(attempt), reference, fen, "Member 1", "bench-not-encrypted",
                   PAYEE_MASKED, status, None, 1, created, created, done)

    raw = engine.raw_connection()
    try:
        if is_postgres(engine):
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY payout ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows():
                        copy.write_row(row)
            raw.commit()
            with raw.cursor() as cursor:
                cursor.execute("ANALYZE payout")
            raw.commit()
        else:
            stamp = Payout.__table__.c.created_at.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
            cursor = raw.cursor()
            cursor.execute("BEGIN")
            cursor.executemany(
                f"INSERT INTO payout ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                (row[:10] + (stamp(row[10]), stamp(row[11]), stamp(row[12]) if row[12] else None) for row in rows()))
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
            cursor.close()
    finally:
        raw.close()


# --- the two matchers, each in its own process ---------------------------------------------------


def child(kind: str, url: str, statement: Path, out: Path) -> None:
    """Run one matcher and write what it found, its time and the process's peak memory."""
    from services.db import make_engine

    engine = make_engine(url)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    if kind == "ours":
        from services.reconciliation import reconcile_month

        summary = reconcile_month(MONTH, statement, actor="system", engine=engine)
        seconds = time.perf_counter() - started
        result = {"result_sha256": summary.result_sha256, "counts": summary.counts, "version": summary.version,
                  "same_as_version": summary.same_as_version, "lines": summary.statement_lines,
                  "payouts": summary.payouts_counted}
        found = stored_items(engine, summary.run_id)
    else:
        discrepancies, tally, lines, payouts = baseline(statement, engine)
        seconds = time.perf_counter() - started
        from models.reconciliation import result_digest

        result = {"result_sha256": result_digest(discrepancies, tally), "lines": lines, "payouts": payouts,
                  "counts": {str(k): v for k, v in sorted(tally.items())}}
        found = sorted((d.discrepancy.value, d.reference) for d in discrepancies)
    peak = peak_rss_mb()
    engine.dispose()
    out.write_text(json.dumps({**result, "seconds": seconds, "peak_rss_mb": peak,
                               "rss_before_mb": rss_before, "found": found}), encoding="utf-8")


def peak_rss_mb() -> float:
    """This process's peak resident set size. ``VmHWM`` starts afresh at exec; ``ru_maxrss`` would
    also count the parent's pages the child carried between fork and exec (here ~500 MB)."""
    try:
        for entry in Path("/proc/self/status").read_text().splitlines():
            if entry.startswith("VmHWM:"):
                return int(entry.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stored_items(engine: Engine, run_id: int) -> list[tuple[str, str]]:
    from models.reconciliation import ReconciliationException
    from services.db import transaction

    with transaction(engine) as s:
        rows = s.execute(select(ReconciliationException.discrepancy, ReconciliationException.reference)
                         .where(ReconciliationException.run_id == run_id))
        return sorted((str(c), r) for c, r in rows)


def baseline(statement: Path, engine: Engine):  # type: ignore[no-untyped-def]
    """Load everything: the parsed statement as a list, every payout in a dictionary; then compare."""
    from models.payouts import Payout
    from models.reconciliation import OurRecord, classify, month_bounds
    from models.time import as_utc
    from services.payment_provider import parse_statement

    start, end = month_bounds(MONTH, SHANGHAI)
    lines = parse_statement(statement.read_text(encoding="utf-8"))
    if any(not start <= line.time < end for line in lines):
        raise SystemExit("baseline: a statement line is outside the month")
    with engine.connect() as conn:
        payouts = {row.reference: row for row in conn.execute(
            select(Payout.reference, Payout.amount_fen, Payout.status, Payout.created_at))}
    by_reference = defaultdict(list)
    for line in lines:
        by_reference[line.reference].append(line)
    in_month = {ref for ref, row in payouts.items() if start <= as_utc(row.created_at) < end}
    tally: Counter[str] = Counter()
    found = []
    for reference in sorted(in_month | set(by_reference)):
        row = payouts.get(reference)
        ours = [OurRecord(reference, row.amount_fen, row.status.value, reference in in_month)] if row else []
        found.extend(classify(reference, ours, by_reference.get(reference, []), tally))
    return found, tally, len(lines), sum(1 for ref in payouts if ref in in_month or ref in by_reference)


def run_child(kind: str, url: str, statement: Path, workdir: Path) -> dict:  # type: ignore[type-arg]
    out = workdir / f"{kind}-{uuid.uuid4().hex[:6]}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", kind, "--url", url, "--statement", str(statement),
                    "--out", str(out)], check=True, cwd=REPO_ROOT)
    result = json.loads(out.read_text(encoding="utf-8"))
    result["wall_seconds"] = time.perf_counter() - started
    return result


# --- one database, end to end --------------------------------------------------------------------


def bench_database(label: str, url: str, engine: Engine, workdir: Path, month: PlantedMonth,
                   statement: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    from services.migrate import upgrade

    upgrade(engine)
    started = time.perf_counter()
    fill_ledger(engine, workdir, month)
    print(f"[{label}] ledger of {len(month.payouts):,} payouts bulk-inserted in {time.perf_counter() - started:.1f} s",
          flush=True)
    results = {"ours": run_child("ours", url, statement, workdir)}
    results["baseline"] = run_child("baseline", url, statement, workdir)
    results["ours, re-run"] = run_child("ours", url, statement, workdir)
    check(label, month, results)
    return results


def check(label: str, month: PlantedMonth, results: dict[str, dict]) -> None:  # type: ignore[type-arg]
    problems = []
    expected = sorted(month.expected)
    for name, result in results.items():
        found = sorted(tuple(x) for x in result["found"])
        if found != expected:
            missing, extra = set(expected) - set(found), set(found) - set(expected)
            problems.append(f"{name}: {len(missing)} planted not found, {len(extra)} found that were not planted "
                            f"(e.g. {sorted(missing)[:3]} / {sorted(extra)[:3]})")
        counts = {k: v for k, v in result["counts"].items() if v}
        if counts != dict(month.counts):
            problems.append(f"{name}: counts {counts} != planted {dict(month.counts)}")
    if len({r["result_sha256"] for r in results.values()}) != 1:
        problems.append("the result digests differ between the runs")
    if results["ours"]["version"] != 1 or results["ours, re-run"]["same_as_version"] != 1:
        problems.append("the re-run did not say 'same result as version 1'")
    if problems:
        raise SystemExit(f"[{label}] CHECK FAILED:\n  " + "\n  ".join(problems))
    print(f"[{label}] check passed: ours and the baseline each found exactly the {len(expected)} planted "
          f"discrepancies ({', '.join(f'{v} {k}' for k, v in sorted(Counter(c for c, _ in expected).items()))}) and "
          f"nothing else; {month.counts['matched']:,} matched, {month.counts['unpaid_not_at_provider']} never sent and "
          f"not listed (not a discrepancy); equal digests; the re-run stored nothing new", flush=True)


def report(label: str, results: dict[str, dict]) -> None:  # type: ignore[type-arg]
    ours, base = results["ours"], results["baseline"]
    print(f"[{label}] {'':16}{'seconds':>9}{'peak RSS MB':>13}{'process wall s':>16}")
    for name, r in results.items():
        print(f"[{label}] {name:16}{r['seconds']:9.1f}{r['peak_rss_mb']:13.0f}{r['wall_seconds']:16.1f}")
    print(f"[{label}] ours/baseline: time {ours['seconds'] / base['seconds']:.2f}, "
          f"peak memory {ours['peak_rss_mb'] / base['peak_rss_mb']:.2f}; "
          f"interpreter and imports before matching: {ours['rss_before_mb']:.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000, help="payouts in the ledger = statement lines")
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--postgres", help="SQLAlchemy URL of a PostgreSQL database to use a throwaway schema in")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--statement", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.statement, args.out)
        return

    workdir = Path(tempfile.mkdtemp(prefix="unionaid-bench-reconcile-"))
    os.environ.setdefault("UNIONAID_DATA_DIR", str(workdir))
    try:
        started = time.perf_counter()
        month = plant(args.lines, args.per_class, random.Random(args.seed))
        statement = workdir / f"statement-{MONTH}.csv"
        write_statement(month, statement)
        print(f"planted: {len(month.payouts):,} payouts, {len(month.lines):,} statement lines "
              f"({statement.stat().st_size / 1e6:.0f} MB, random order), {len(month.expected)} discrepancies; "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
              f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}", flush=True)
        month.lines = []  # written; the children read the file
        if not args.skip_sqlite:
            from services.db import make_engine

            url = f"sqlite:///{workdir / 'unionaid.db'}"
            engine = make_engine(url)
            results = bench_database("sqlite", url, engine, workdir, month, statement)
            engine.dispose()
            report("sqlite", results)
        if args.postgres:
            bench_postgres(args.postgres, workdir, month, statement)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench_postgres(base_url: str, workdir: Path, month: PlantedMonth, statement: Path) -> None:
    schema = f"bench_recon_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = conn.execute(text("SHOW server_version")).scalar_one()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        print(f"[postgresql] PostgreSQL {version}, schema {schema}", flush=True)
        results = bench_database("postgresql", url, engine, workdir, month, statement)
        report("postgresql", results)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
