"""Money: ``funds``, ``pay`` and ``payouts``."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from models.errors import InputError
from models.money import format_fen
from unionaid_cli.shared import console, fail, handled, local_time

payouts_app = typer.Typer(help="Payouts to members through the payment provider.", no_args_is_help=True)


@handled
def funds(
    year: Annotated[Optional[int], typer.Option(help="only this year")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Budget, reserved, paid and remaining per programme and year, from the ledger."""
    from services import ledger

    rows = ledger.funds(year=year)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=2))
        return
    table = Table("programme", "year", "budget", "reserved", "paid", "remaining", title="funds")
    for r in rows:
        table.add_row(f"{r.programme} {r.name}", str(r.year), format_fen(r.budget_fen), format_fen(r.reserved_fen),
                      format_fen(r.paid_fen), format_fen(r.remaining_fen))
    console.print(table)


@handled
def pay(case_number: str) -> None:
    """Pay one approved case now (the same service the payout flow uses; never pays twice)."""
    from services import payouts, providers

    provider = providers.payment()
    try:
        views = payouts.pay_case(case_number, provider)
    finally:
        provider.close()
    for view in views:
        typer.echo(f"payout {view.reference}: {view.status.value} ({format_fen(view.amount_fen)})")
    if any(view.status.value in ("submitted", "unknown") for view in views):
        typer.echo("the outcome is not known yet; `unionaid payouts resolve` (or the resolver deployment) finishes it")


@payouts_app.command("list")
@handled
def payouts_list(
    status: Annotated[Optional[str], typer.Option(help="prepared, submitted, succeeded, failed or unknown")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Payouts, newest first (accounts masked)."""
    from models.payouts import PayoutStatus
    from services import payout_queries

    try:
        wanted = PayoutStatus(status) if status else None
    except ValueError:
        raise InputError("status", "must be prepared, submitted, succeeded, failed or unknown") from None
    rows: list[dict[str, Any]] = [
        {"reference": p.reference, "case_number": p.case_number, "status": p.status.value, "amount_fen": p.amount_fen,
         "account": p.account_masked, "provider_id": p.provider_id, "failure_reason": p.failure_reason,
         "updated_at": local_time(p.updated_at)}
        for p in payout_queries.list_payouts(wanted)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("reference", "status", "amount", "account", "updated")
    for r in rows:
        table.add_row(r["reference"], r["status"], format_fen(r["amount_fen"]), r["account"], r["updated_at"])
    console.print(table)


@payouts_app.command("resolve")
@handled
def payouts_resolve() -> None:
    """Ask the provider about every open payout and finish what can be finished; name each one
    that could not be, with why (exit 1 then)."""
    from services import payouts, providers

    provider = providers.payment()
    try:
        done = payouts.resolve_open_payouts(provider)
    finally:
        provider.close()
    counts: dict[str, int] = {}
    for item in done:
        counts[item.status] = counts.get(item.status, 0) + 1
        if item.why is not None:
            typer.echo(f"{item.reference}: {item.status}: {item.why}", err=True)
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no open payouts"
    if any(item.why is not None for item in done):
        fail(summary)
    typer.echo(summary)
