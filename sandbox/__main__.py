"""Start a sandbox from the command line.

    python -m sandbox payment  --port 4301 --db var/sandbox-payment.db [--faults '{"share_5xx": 0.1}']
    python -m sandbox registry --port 4302 --members members.json

Credentials come from the same settings the adapters use (``UNIONAID_PAYMENT_MERCHANT_ID``,
``UNIONAID_PAYMENT_SECRET``, ``UNIONAID_REGISTRY_SECRET``), so both ends agree without secrets
on the command line, where ``ps`` would show them.
"""

from __future__ import annotations

import argparse
import json
import sys

import uvicorn

from sandbox import payment, registry
from services.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run a payment or registry sandbox.")
    which = parser.add_subparsers(dest="sandbox", required=True)

    pay = which.add_parser("payment", help="payment provider sandbox")
    pay.add_argument("--host", default="127.0.0.1")
    pay.add_argument("--port", type=int, default=4301)
    pay.add_argument("--db", default="var/sandbox-payment.db", help="SQLite file for the sandbox's transfers")
    pay.add_argument(
        "--faults", default=None, help='initial fault knobs as JSON, e.g. \'{"share_5xx": 0.1, "seed": 7}\''
    )

    reg = which.add_parser("registry", help="membership registry sandbox")
    reg.add_argument("--host", default="127.0.0.1")
    reg.add_argument("--port", type=int, default=4302)
    reg.add_argument("--members", required=True, help="JSON file: a list of members")

    args = parser.parse_args(argv)
    settings = get_settings()
    if args.sandbox == "payment":
        try:
            faults = payment.Faults.model_validate(json.loads(args.faults)) if args.faults else payment.Faults()
        except ValueError as exc:
            parser.error(f"--faults: {exc}")
        app = payment.create_app(
            args.db,
            merchant_id=settings.payment_merchant_id,
            secret=settings.payment_secret.get_secret_value(),
            faults=faults,
        )
    else:
        try:
            members = registry.load_members(args.members)
        except (OSError, ValueError) as exc:
            parser.error(str(exc))
        app = registry.create_app(members, secret=settings.registry_secret.get_secret_value())
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
