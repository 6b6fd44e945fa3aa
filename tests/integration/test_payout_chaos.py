"""Chaos: 1,000 cases, 1,200 payments, through the payment sandbox with every fault at once and
workers killed.

Most cases are hardship aid (one payment: the approved amount to the applicant); every fifth is
a wage advance (``tests/wage_advance``): two payments out to the worker and the employer's
repayment owed back. A *payment* below is one outgoing obligation of a case: its references are
``<case>-P<n>`` for the first and ``<case>-O2-P<n>`` for the second. What is proved, on SQLite
and on PostgreSQL:
- the payout work runs in worker processes (``tests/chaos_worker.py``) that this test SIGKILLs
  at random moments and restarts, and that also kill themselves just before and just after a
  send; the sandbox meanwhile answers with 5xx, 429, hangs past the client's read timeout after
  committing, cuts responses after committing, adds latency, and definitely fails a few payees;
- afterwards, with the faults off and the resolver run until nothing is open, and the failed
  payees re-paid once the bank accepts them: no payment was made twice, none was left unpaid,
  every case is paid in full, no payout is left prepared, submitted or unknown, and our ledger
  equals the provider's statement to the fen, reference by reference;
- the wage advances' repayments stay owed (receivable) until they are received, then the
  budget has them back; the ledger's lines sum to zero.

The sandbox runs in this process on a real socket with its own SQLite file. Its counters
(``/sandbox/transfers/count``) show which faults really hit, so the test fails if the chaos
did not happen. The seed is printed; ``UNIONAID_CHAOS_SEED`` replays the same cases, amounts
and fault draws (kill moments depend on timing and cannot be replayed). Run with ``-s`` to see
the summary lines.

No wall-clock limit decides the outcome: a loaded machine only makes the run longer. The test
fails when the workers stop making progress (no payout row changes for ``STALL_S``); a very
large cap (``HANG_CAP_S``) only guards against a hang. Marked ``stress``: ``make test`` runs it,
``pytest -m "not stress"`` leaves it out.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from starlette.requests import ClientDisconnect

from models.cases import Case
from models.enums import CaseStatus, CaseType, Role
from models.ledger import AccountKind, Accounts, LedgerLine
from models.members import Member
from models.money import format_fen
from models.payouts import OPEN_STATUSES, Payout, PayoutStatus, obligation_key
from models.payouts import outcome as payouts_outcome
from sandbox import payment
from sandbox.testing import running_server
from services import approvals, ledger, obligations, org, payouts
from services.audit import verify_chain
from services.audit_replay import replay
from services.cases import open_case, transition_case
from services.db import transaction
from services.payment_provider import HttpPaymentProvider, parse_statement
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff
from tests.wage_advance import REPAY_BY, WAGE_ADVANCE

REPO_ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")

CASES = 1_000
MEMBERS = 100  # so most members have several cases
FAILING_MEMBERS = (7, 42, 77)  # their bank rejects every transfer while the knob is on
PROGRAMME = "HA-CHAOS"
ACCOUNTS = Accounts(PROGRAMME, factories.YEAR)
ADVANCE_EVERY = 5  # every fifth case is a wage advance: two payments out, one repayment in
ADVANCES = "WA-CHAOS"
ADVANCE_ACCOUNTS = Accounts(ADVANCES, factories.YEAR)
MAX_FEN = 300_000
BUDGET_FEN = CASES * MAX_FEN
WORKERS = 2  # the machine has 2 cores; concurrency itself is tested in test_payouts.py
READ_TIMEOUT_S = 0.4
CHAOS = {  # about 30% of requests hit by a fault
    "share_5xx": 0.07,
    "share_429": 0.07,
    "share_timeout_after_commit": 0.06,
    "share_lost_response": 0.08,
    "hang_ms": 1_000,  # well past the workers' 0.4 s read timeout
    "latency_ms": 3,
}
NO_FAULTS = {"latency_ms": 0, "share_429": 0, "share_5xx": 0, "share_timeout_after_commit": 0,
             "share_lost_response": 0, "fail_payee_accounts": []}
DIE_SHARE = 0.004  # per send, twice: just before the request leaves, just after the answer comes
KILL_EVERY_S = (0.8, 3.0)  # the test's own SIGKILLs: a worker needs ~1.5 s just to import
MAX_KILLS = 40
KILL_WINDOW_S = 150  # kills stop after this, or after MAX_KILLS; the workers then finish in peace
STALL_S = 180  # no payout row changed for this long: the workers are stuck (they change one every ~0.1 s)
HANG_CAP_S = 3600  # only a hang guard; on an idle 2-core machine the workers are done in ~2-3 minutes


@pytest.mark.stress
@pytest.mark.timeout(HANG_CAP_S + 1800)  # set-up, resolving and checks come on top of the workers
def test_a_thousand_payouts_under_every_fault_and_killed_workers_pay_each_case_exactly_once(engine, tmp_path, capsys,
                                                                                             record_property):
    seed = int(os.environ.get("UNIONAID_CHAOS_SEED") or random.SystemRandom().randrange(1 << 31))
    rng = random.Random(seed)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    amounts, advances = approved_cases(engine, tmp_path, rng)  # payment -> fen, wage advance case -> fen
    timings["set-up"] = time.perf_counter() - started

    failing_accounts = [factories.bank_card(i) for i in FAILING_MEMBERS]
    settings = get_settings()
    app = payment.create_app(tmp_path / "sandbox.db", merchant_id=settings.payment_merchant_id,
                             secret=settings.payment_secret.get_secret_value())
    with running_server(app) as sandbox, quiet_about_killed_clients():
        first_day = datetime.now(SHANGHAI)
        set_faults(sandbox, {**CHAOS, "fail_payee_accounts": failing_accounts, "seed": seed})

        started = time.perf_counter()
        pool = WorkerPool(tmp_path, database_url(engine), sandbox, sorted(set(map(case_number, amounts))), rng,
                          progress=lambda: payout_progress(engine))
        pool.run()
        timings["chaos"] = time.perf_counter() - started
        open_after_workers = len(payouts.open_payout_ids(engine))

        started = time.perf_counter()
        # The workers are gone: every create request logged so far was met by the faults.
        last_under_faults = max((r["seq"] for r in httpx.get(f"{sandbox}/sandbox/create-requests").json()), default=0)
        set_faults(sandbox, NO_FAULTS)
        provider = provider_for(sandbox)
        resolver_rounds = resolve_everything(engine, provider)
        failed_cases = cases_awaiting_a_person(engine)
        repaid = {number: payouts_outcome(v.status for v in payouts.pay_case(number, provider, engine=engine))
                  for number in sorted(failed_cases)}
        resolver_rounds += resolve_everything(engine, provider)
        timings["resolve and re-pay"] = time.perf_counter() - started

        transfers = httpx.get(f"{sandbox}/sandbox/transfers").json()
        attempts = httpx.get(f"{sandbox}/sandbox/transfers/count").json()
        create_log = httpx.get(f"{sandbox}/sandbox/create-requests").json()
        statement = [line for month in months_since(first_day)
                     for line in parse_statement(provider.download_statement(month=month))]

    # --- what happened ---
    faults_hit = fault_counts(attempts)
    successes_per_payment = Counter(payment_of(t["reference"]) for t in transfers if t["status"] == "succeeded")
    paid_twice = sorted(key for key, n in successes_per_payment.items() if n > 1)
    status_of = {t["reference"]: t["status"] for t in transfers}
    sent = references_sent(create_log, status_of)

    with transaction(engine) as session:
        cases = {c.case_number: c for c in session.execute(select(Case)).scalars()}
        ours = list(session.execute(select(Payout)).scalars())
        paid_balance = sum(ledger.balance(session, accounts.paid) for accounts in (ACCOUNTS, ADVANCE_ACCOUNTS))
        reserved_balance = sum(ledger.balance(session, a.reserved) for a in (ACCOUNTS, ADVANCE_ACCOUNTS))
        available = {a.programme_code: ledger.balance(session, a.available) for a in (ACCOUNTS, ADVANCE_ACCOUNTS)}
        owed_back = ledger.balance(session, ADVANCE_ACCOUNTS.of(AccountKind.receivable))
        chain = verify_chain(session)
        replayed = replay(session)
    owed_per_case: Counter[str] = Counter()
    for key, amount in amounts.items():
        owed_per_case[case_number(key)] += amount
    lost = sorted(number for number, amount in owed_per_case.items()
                  if cases[number].status != CaseStatus.paid or cases[number].paid_fen != amount)
    still_open = sorted(p.reference for p in ours if p.status in OPEN_STATUSES)

    our_view = {p.reference: (p.status.value, p.amount_fen) for p in ours}
    statement_view = {line.reference: (line.status, line.amount_fen) for line in statement}
    statement_paid = sum(line.amount_fen for line in statement if line.status == "succeeded")
    our_paid = sum(p.amount_fen for p in ours if p.status == PayoutStatus.succeeded)
    kills = pool.kills + pool.self_kills

    db = engine.dialect.name
    # Shown even when pytest captures output, and by the figures at the end of the run (also when
    # the tests run in several processes): CI's log carries the counts.
    def show(line: str) -> None:
        record_property("figures", line.strip())
        with capsys.disabled():
            print(line)

    show(f"\nchaos[{db}] seed {seed}: {CASES} cases of {MEMBERS} members, {WORKERS} workers, "
          f"{pool.starts} worker starts; " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
    show(f"chaos[{db}] kills: {pool.kills} SIGKILLs by the test at random, {pool.self_kills} self-inflicted "
          f"just before or after a send")
    show(f"chaos[{db}] faults on creates: {dict(sorted(faults_hit.items()))}; {attempts['create_requests']} create "
          f"requests for {len(transfers)} transfers; {open_after_workers} payouts open after the workers, resolved "
          f"in {resolver_rounds} rounds; {len(failed_cases)} cases of the {len(FAILING_MEMBERS)} failing payees "
          f"failed definitively and were re-paid; audit: {chain}; "
          f"replayed: {len(replayed.disagreements)} rows the trail does not explain")
    show(f"chaos[{db}] create requests: {sent.most_per_reference} at most for one reference, "
          f"{sent.most_per_payment} at most for one payment; {len(sent.refs_of_payment)} payments sent under "
          f"{sum(map(len, sent.refs_of_payment.values()))} references")
    show(f"chaos[{db}]: {len(owed_per_case)} cases, {len(amounts)} payments, {kills} kills, "
         f"{len(paid_twice)} payments made twice, "
          f"{len(sent.abandoned)} references given up without a definite failure, "
          f"{len(sent.sent_after_success)} sent after the case's success, {len(sent.conflicts)} conflicts, "
          f"{len(lost)} lost, {len(still_open)} unknown/submitted/prepared, "
          f"ledger = statement = {format_fen(paid_balance)}"
          + ("" if paid_balance == statement_paid == our_paid else
             f" (MISMATCH: ledger {format_fen(paid_balance)}, statement {format_fen(statement_paid)}, "
             f"payouts {format_fen(our_paid)})"))

    # --- the chaos really happened ---
    assert pool.unexpected == [], pool.unexpected
    assert pool.kills >= 10, f"only {pool.kills} kills: the workers finished before the chaos did"
    assert all(faults_hit[kind] > 0 for kind in ("5xx", "429", "timeout_after_commit", "lost_response")), faults_hit
    assert pool.worker_errors == Counter(), pool.worker_errors
    assert replayed.explained, str(replayed)  # every case, payout and ledger balance is what the trail says
    # --- exactly once, from the provider's own log of create requests ---
    # A resend uses the payout's reference, always with the same details: never a conflict.
    assert sent.conflicts == [], sent.conflicts[:10]
    # Each payment has exactly one reference whose create requests made a transfer that succeeded ...
    assert paid_twice == [], paid_twice[:10]
    assert sorted(successes_per_payment) == sorted(amounts) and set(successes_per_payment.values()) == {1}
    assert sorted(sent.refs_of_payment) == sorted(amounts)
    # ... every other reference it was sent under ended in the bank's definite failure (a new
    # reference only after that, never after a timeout, a 5xx or a lost answer) ...
    assert sent.abandoned == [], sent.abandoned[:10]
    # ... nothing was sent for a case under another reference once one of its references had paid ...
    assert sent.sent_after_success == [], sent.sent_after_success[:10]
    # ... and a case was sent under a second reference only when the bank refused its first: only
    # the failing payees' transfers failed, and each such case was re-paid once under a new reference.
    failing_payees_cases = {key for key in amounts if case_number(key) in
                            cases_of_members(engine, [f"M{i:04d}" for i in FAILING_MEMBERS])}  # their payments
    refused_first = {number for number, refs in sent.refs_of_payment.items() if status_of.get(refs[0]) == "failed"}
    assert refused_first <= failing_payees_cases
    assert {number for number, refs in sent.refs_of_payment.items() if len(refs) > 1} == refused_first
    assert lost == [] and still_open == []
    assert set(failed_cases) == set(map(case_number, refused_first))
    assert all(s == PayoutStatus.succeeded for s in repaid.values())
    assert all(p.status == PayoutStatus.failed for p in ours
               if p.status != PayoutStatus.succeeded), "only the failing payees' attempts may have failed"
    assert {payment_of(p.reference) for p in ours if p.status == PayoutStatus.failed} == refused_first
    # A failing payee's case the bank did not refuse had its transfer made only after the faults
    # were lifted (its worker was killed before any create request got through; the resolver sent
    # it later). Most are sent, and refused, under the faults: the refusal path really ran.
    made_at = {r["reference"]: r["seq"] for r in create_log if r["outcome"].split("+")[0] == "created"}
    assert all(made_at[sent.refs_of_payment[number][0]] > last_under_faults
               for number in failing_payees_cases - refused_first), (last_under_faults, failing_payees_cases - refused_first)
    assert len(refused_first) * 2 > len(failing_payees_cases), (len(refused_first), len(failing_payees_cases))
    # --- every fen accounted for ---
    assert our_view == statement_view, "our payouts and the provider's statement differ by reference"
    assert paid_balance == statement_paid == our_paid == sum(amounts.values())
    advanced = sum(advances.values())
    assert reserved_balance == 0 and available == {PROGRAMME: BUDGET_FEN - (paid_balance - advanced),
                                                   ADVANCES: BUDGET_FEN - advanced}
    # --- what the wage advances are owed: open until it comes in, then back in the budget ---
    assert owed_back == advanced
    for number, fen in sorted(advances.items()):
        obligations.record_receipt(number, 3, amount_fen=fen, reference=f"EMP-REPAID-{number}", received_on=REPAY_BY,
                                   actor=as_staff("FI1"), engine=engine)
    with transaction(engine) as session:
        assert ledger.balance(session, ADVANCE_ACCOUNTS.of(AccountKind.receivable)) == 0
        assert ledger.balance(session, ADVANCE_ACCOUNTS.available) == BUDGET_FEN
        assert session.execute(select(func.sum(LedgerLine.amount_fen))).scalar_one() == 0
    assert chain.intact, str(chain)


# --- set-up through the services ---------------------------------------------------------------


def approved_cases(engine: Engine, tmp_path: Path, rng: random.Random) -> tuple[dict[str, int], dict[str, int]]:
    """CASES approved cases with random amounts, spread over MEMBERS members, every ADVANCE_EVERY-th
    a wage advance: payment -> fen (as ``payment_of`` names them), and wage advance case -> fen."""
    factories.organisation(engine)
    factories.members(engine, tmp_path, count=MEMBERS)
    ledger.add_programme(PROGRAMME, "Chaos relief", CaseType.hardship, factories.YEAR, BUDGET_FEN, engine=engine)
    ledger.add_programme(ADVANCES, "Chaos advances", WAGE_ADVANCE, factories.YEAR, BUDGET_FEN, engine=engine)
    org.add_staff("AP9", "Approver with a high limit", "D000", [Role.approver], MAX_FEN, engine=engine)
    amounts, advances = {}, {}
    for n in range(CASES):
        member = rng.randint(1, MEMBERS)
        fen = rng.randint(10_000, MAX_FEN)  # odd fen on purpose: the statement must agree to the fen
        advance = n % ADVANCE_EVERY == ADVANCE_EVERY - 1
        case = open_case(case_type=WAGE_ADVANCE if advance else CaseType.hardship,
                         category="wage_arrears" if advance else "living_relief",
                         applicant_member_number=f"M{member:04d}", requested_fen=fen, submitted_by=as_staff("CW1"),
                         engine=engine, programme_code=ADVANCES if advance else PROGRAMME, local_year=factories.YEAR)
        transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
        transition_case(case.case_number, CaseStatus.awaiting_approval, actor="system", reason="checks passed",
                        engine=engine)
        approvals.approve_case(case.case_number, approver=as_staff("AP9"), amount_fen=fen, reason="chaos", engine=engine)
        if advance:  # the plan: half (rounded down) first, the rest second
            amounts[case.case_number], amounts[f"{case.case_number}-O2"] = fen // 2, fen - fen // 2
            advances[case.case_number] = fen
        else:
            amounts[case.case_number] = fen
    return amounts, advances


def database_url(engine: Engine) -> str:
    """The URL a worker process needs to reach the same database (and, on PostgreSQL, schema)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("select current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def cases_of_members(engine: Engine, member_numbers: list[str]) -> set[str]:
    with transaction(engine) as session:
        return set(session.execute(select(Case.case_number).join(Member, Member.id == Case.applicant_member_id)
                                   .where(Member.member_number.in_(member_numbers))).scalars())  # type: ignore[attr-defined]


# --- the workers and their killer ---------------------------------------------------------------


@dataclass
class WorkerPool:
    """WORKERS worker processes, each with its own share of the cases, killed and restarted.

    ``progress()`` tells whether the work moves: when what it returns has not changed for
    ``STALL_S``, the workers are stuck and the pool gives up (recorded in ``unexpected``)."""

    tmp_path: Path
    database_url: str
    sandbox_url: str
    case_numbers: list[str]
    rng: random.Random
    progress: Callable[[], object]
    kills: int = 0
    self_kills: int = 0
    starts: int = 0
    unexpected: list[str] = field(default_factory=list)
    worker_errors: Counter[str] = field(default_factory=Counter)
    _procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: dict[int, Path] = field(default_factory=dict)

    def run(self) -> None:
        try:
            self._run()
        finally:  # never leave a worker behind, whatever happened here
            for proc in self._procs.values():
                proc.kill()
                proc.wait()

    def _run(self) -> None:
        shares = [self.case_numbers[i::WORKERS] for i in range(WORKERS)]
        for i, share in enumerate(shares):
            (self.tmp_path / f"cases-{i}.json").write_text(json.dumps(share), encoding="utf-8")
            self._start(i)
        began = last_change = time.monotonic()
        seen = self.progress()
        while self._procs:
            time.sleep(self.rng.uniform(*KILL_EVERY_S))
            self._reap()
            now, current = time.monotonic(), self.progress()
            if current != seen:
                seen, last_change = current, now
            elif now - last_change > STALL_S:
                self.unexpected.append(f"no progress for {now - last_change:.0f} s (payouts: {current}); "
                                       f"last worker logs:\n" + self._tails())
                return
            if now - began > HANG_CAP_S:
                self.unexpected.append(f"workers still running after {HANG_CAP_S} s, though making progress "
                                       f"(payouts: {current}): a hang guard, not a time limit")
                return
            killing = self.kills < MAX_KILLS and time.monotonic() - began < KILL_WINDOW_S
            if killing and self._procs:
                victim = self.rng.choice(sorted(self._procs))
                proc = self._procs[victim]
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    self.kills += 1
                    self._start(victim)
                else:
                    self._reap()

    def _start(self, i: int) -> None:
        self.starts += 1
        log = self.tmp_path / f"worker-{i}-{self.starts}.log"
        with log.open("wb") as out:
            self._procs[i] = subprocess.Popen(
                [sys.executable, "-m", "tests.chaos_worker", "--database-url", self.database_url,
                 "--sandbox-url", self.sandbox_url, "--cases", str(self.tmp_path / f"cases-{i}.json"),
                 "--read-timeout", str(READ_TIMEOUT_S), "--die-share", str(DIE_SHARE),
                 "--seed", str(self.rng.randrange(1 << 31))],
                cwd=REPO_ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
        self._logs[i] = log

    def _tails(self) -> str:
        return "\n".join(f"worker {i}: " + self._logs[i].read_text(encoding="utf-8", errors="replace")[-1000:]
                         for i in sorted(self._procs))

    def _reap(self) -> None:
        for i, proc in list(self._procs.items()):
            code = proc.poll()
            if code is None:
                continue
            del self._procs[i]
            if code == -signal.SIGKILL:  # it killed itself at a send: carry on as after any crash
                self.self_kills += 1
                self._start(i)
            elif code == 0:
                lines = self._logs[i].read_text(encoding="utf-8").splitlines()
                summary = json.loads(next(line for line in reversed(lines) if line.startswith('{"outcomes"')))
                self.worker_errors.update(summary["errors"])
            else:
                tail = self._logs[i].read_text(encoding="utf-8", errors="replace")[-3000:]
                self.unexpected.append(f"worker {i} exited with {code}:\n{tail}")


def payout_progress(engine: Engine) -> tuple[object, ...]:
    """Changes whenever a worker prepares, sends or settles a payout (or records an error)."""
    with transaction(engine) as session:
        return tuple(session.execute(select(func.count(), func.max(Payout.updated_at),
                                            func.coalesce(func.sum(Payout.send_count), 0))
                                     .select_from(Payout)).one())


# --- after the chaos ----------------------------------------------------------------------------


@dataclass
class ReferencesSent:
    """What the provider's log of create requests says about the references each payment was sent under."""

    refs_of_payment: dict[str, list[str]]  # payment -> its references, in the order they were first sent
    abandoned: list[str]  # references given up (another one used later) without the bank's definite failure
    sent_after_success: list[str]  # create requests under another reference after one of the payment's succeeded
    conflicts: list[str]  # a reference resent with other details
    most_per_reference: int
    most_per_payment: int


def references_sent(log: list[dict[str, Any]], status_of: dict[str, str]) -> ReferencesSent:
    """``log``: the sandbox's create requests in arrival order; ``status_of``: reference -> the
    status of the transfer it made (only references whose create requests made one)."""
    refs_of_payment: dict[str, list[str]] = {}
    success_seq: dict[str, int] = {}  # payment -> seq of the request that created its succeeded transfer
    per_reference: Counter[str] = Counter()
    per_payment: Counter[str] = Counter()
    conflicts = []
    for request in log:
        ref, outcome = request["reference"], request["outcome"]
        case = payment_of(ref)
        per_reference[ref] += 1
        per_payment[case] += 1
        if ref not in refs_of_payment.setdefault(case, []):
            refs_of_payment[case].append(ref)
        if outcome.startswith("conflict"):
            conflicts.append(ref)
        if outcome.split("+")[0] == "created" and status_of.get(ref) == "succeeded":
            success_seq.setdefault(case, request["seq"])
    sent_after_success = sorted({r["reference"] for r in log if payment_of(r["reference"]) in success_seq
                                 and r["seq"] > success_seq[payment_of(r["reference"])]
                                 and status_of.get(r["reference"]) != "succeeded"})
    abandoned = sorted(ref for refs in refs_of_payment.values() for ref in refs[:-1] if status_of.get(ref) != "failed")
    return ReferencesSent(refs_of_payment, abandoned, sent_after_success, conflicts,
                          max(per_reference.values(), default=0), max(per_payment.values(), default=0))


class _KilledClientNoise(logging.Filter):
    """A worker killed mid-request and a response cut on purpose make the sandbox's uvicorn log
    errors; here they are the point, not news. Anything else still gets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "ASGI callable returned without completing response" in record.getMessage():
            return False
        return not (record.exc_info and isinstance(record.exc_info[1], ClientDisconnect))


@contextmanager
def quiet_about_killed_clients() -> Iterator[None]:
    logger, noise = logging.getLogger("uvicorn.error"), _KilledClientNoise()
    logger.addFilter(noise)
    try:
        yield
    finally:
        logger.removeFilter(noise)


def set_faults(url: str, knobs: dict[str, object]) -> None:
    httpx.post(f"{url}/sandbox/faults", json=knobs).raise_for_status()


def provider_for(url: str) -> HttpPaymentProvider:
    settings = get_settings()
    client = httpx.Client(timeout=httpx.Timeout(5.0, connect=2.0), follow_redirects=False)
    return HttpPaymentProvider(client, url, settings.payment_merchant_id, settings.payment_secret.get_secret_value())


def resolve_everything(engine: Engine, provider: HttpPaymentProvider, max_rounds: int = 10) -> int:
    """The resolver deployment's loop: resolve every open payout until none is open (bounded)."""
    for round_number in range(max_rounds):
        open_ids = payouts.open_payout_ids(engine)
        if not open_ids:
            return round_number
        for payout_id in open_ids:
            payouts.resolve_payout(payout_id, provider, engine=engine)
    return max_rounds


def cases_awaiting_a_person(engine: Engine) -> list[str]:
    """Approved cases whose payout failed definitively: they wait for someone to act."""
    with transaction(engine) as session:
        rows = session.execute(select(Case.case_number).join(Payout, Payout.case_id == Case.id)
                               .where(Case.status == CaseStatus.approved, Payout.status == PayoutStatus.failed)
                               .distinct()).scalars()
        return sorted(rows)


def fault_counts(attempts: dict) -> Counter[str]:  # type: ignore[type-arg]
    """Which faults hit create requests, from the sandbox's own log of outcomes."""
    counts: Counter[str] = Counter()
    for entry in attempts["by_reference"].values():
        for outcome in entry["outcomes"]:
            if outcome.startswith("fault_"):
                counts[outcome.removeprefix("fault_")] += 1
            elif "+" in outcome:
                counts[outcome.split("+", 1)[1]] += 1
    return counts


def months_since(first: datetime) -> list[str]:
    """Statement months (Asia/Shanghai) from the chaos's start to now: usually one."""
    now = datetime.now(SHANGHAI)
    months, year, month = [], first.year, first.month
    while (year, month) <= (now.year, now.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def payment_of(reference: str) -> str:
    """The payment a reference pays: ``<case>`` (its first obligation) or ``<case>-O2``."""
    return obligation_key(reference)


def case_number(payment: str) -> str:
    return payment.split("-O", 1)[0]
