"""A payout worker for the chaos test: a process that may be SIGKILLed at any moment.

    python -m tests.chaos_worker --database-url URL --sandbox-url URL --cases FILE [--passes 3]
                                 [--read-timeout 0.4] [--die-share 0.0] [--seed 0]

It pays the cases listed in FILE (a JSON list of case numbers) with ``services.payouts.pay_case``
over an ``HttpPaymentProvider`` with a short read timeout, as a payout task would. The database
is the only memory: on every start it asks which of its cases still need paying, so a restart
after a kill carries on where the database says, never where the dead process thought it was.

A case whose payout failed definitively is left alone: that needs a person (or the test), not
an automatic new attempt. Open payouts (submitted or unknown) are sent again on the next pass
with the same reference, which the provider's idempotency makes safe.

``--die-share`` makes the worker SIGKILL itself at the two moments that matter most: after
"submitted" was committed but before the request left, and after the provider answered but
before the answer was recorded. Credentials come from the ``UNIONAID_PAYMENT_*`` settings, as in
production. The last line on stdout is a JSON summary; the exit code is 0 when the list was
worked through (whatever the provider said), and not 0 on anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from models.cases import Case
from models.enums import CaseStatus
from models.errors import UnionaidError
from models.payouts import Payout, PayoutStatus
from services.db import make_engine, transaction
from services.payment_provider import HttpPaymentProvider, PaymentProvider, Transfer
from services.payouts import pay_case
from services.settings import get_settings
from tests import wage_advance  # noqa: F401 - the type of the wage advance cases it pays

DONE = (PayoutStatus.succeeded, PayoutStatus.failed)


class DyingProvider:
    """Wraps the real adapter; dies (SIGKILL, no clean-up) just before or just after a send."""

    def __init__(self, inner: HttpPaymentProvider, die_share: float, rng: random.Random) -> None:
        self._inner, self._die_share, self._rng = inner, die_share, rng

    def _maybe_die(self) -> None:
        if self._die_share and self._rng.random() < self._die_share:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def create_transfer(self, reference: str, payee_name: str, bank_account: str, amount_fen: int,
                        remark: str) -> Transfer:
        self._maybe_die()  # "submitted" is committed, nothing has left yet
        transfer = self._inner.create_transfer(reference, payee_name, bank_account, amount_fen, remark)
        self._maybe_die()  # the provider has committed, we have not recorded it
        return transfer

    def query_transfer(self, reference: str) -> Transfer | None:
        return self._inner.query_transfer(reference)

    def download_statement(self, day=None, month=None) -> str:  # type: ignore[no-untyped-def]
        return self._inner.download_statement(day=day, month=month)


def still_to_pay(engine: Engine, case_numbers: list[str]) -> list[str]:
    """Cases approved or payout_pending, minus those whose last attempt failed definitively."""
    with transaction(engine) as session:
        rows = session.execute(select(Case.id, Case.case_number, Case.status)
                               .where(Case.case_number.in_(case_numbers))).all()  # type: ignore[attr-defined]
        failed_case_ids = set(session.execute(select(Payout.case_id).where(Payout.status == PayoutStatus.failed))
                              .scalars())
    wanted = {number for case_id, number, status in rows
              if status == CaseStatus.payout_pending
              or (status == CaseStatus.approved and case_id not in failed_case_ids)}
    return [number for number in case_numbers if number in wanted]


def build_provider(sandbox_url: str, read_timeout: float) -> HttpPaymentProvider:
    settings = get_settings()
    client = httpx.Client(timeout=httpx.Timeout(connect=2.0, read=read_timeout, write=2.0, pool=2.0),
                          follow_redirects=False)
    return HttpPaymentProvider(client, sandbox_url, settings.payment_merchant_id,
                               settings.payment_secret.get_secret_value())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos_worker")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--cases", required=True, help="JSON file: a list of case numbers")
    parser.add_argument("--passes", type=int, default=3, help="how often to go over the cases still open")
    parser.add_argument("--read-timeout", type=float, default=0.4)
    parser.add_argument("--die-share", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    engine = make_engine(args.database_url)
    rng = random.Random(args.seed)
    provider: PaymentProvider = DyingProvider(build_provider(args.sandbox_url, args.read_timeout),
                                              args.die_share, rng)
    mine = json.loads(Path(args.cases).read_text(encoding="utf-8"))
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    todo = still_to_pay(engine, mine)
    print(json.dumps({"started_with": len(todo)}), flush=True)
    for _ in range(args.passes):
        for number in todo:
            try:
                for view in pay_case(number, provider, engine=engine):
                    outcomes[view.status.value] += 1
            except UnionaidError as exc:  # a refusal is data for the test, not a reason to stop
                errors[type(exc).__name__] += 1
        todo = still_to_pay(engine, todo)
        if not todo:
            break
    print(json.dumps({"outcomes": outcomes, "errors": errors, "left_open": len(todo)}), flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
