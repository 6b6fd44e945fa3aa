"""Monthly reconciliation: ``reconcile`` itself and its ``exceptions``, ``resolve`` and ``sign-off``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.errors import InputError
from models.money import format_fen
from services.settings import get_settings
from unionaid_cli.shared import CodeOption, OptionalCode, claim, console, handled

reconcile_app = typer.Typer(help="Monthly reconciliation of payouts against the provider's statement.")


@reconcile_app.callback(invoke_without_command=True)
@handled
def reconcile(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: the previous month)")] = None,
    file: Annotated[Optional[Path], typer.Option(help="a statement CSV given by hand instead of downloading it")] = None,
    staff: Annotated[str, typer.Option("--as", help="who runs it (a finance officer, or system)")] = "system",
    code: OptionalCode = None,
) -> None:
    """Reconcile a month: `unionaid reconcile --month 2026-10`."""
    if ctx.invoked_subcommand is not None:
        return
    from flows.reconciliation import previous_month
    from models.time import utcnow
    from services import providers, reconciliation

    month = previous_month(utcnow().astimezone(get_settings().zone).date()) if month is None else month
    if file is not None:
        if not file.is_file():
            raise InputError("file", "does not exist or is not a file")
        summary = reconciliation.reconcile_month(month, file, actor=claim(staff, code))
    else:
        provider = providers.payment()
        try:
            summary = reconciliation.reconcile_month(month, provider, actor=claim(staff, code))
        finally:
            provider.close()
    typer.echo(str(summary))


@reconcile_app.command("exceptions")
@handled
def reconcile_exceptions(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    open_only: Annotated[bool, typer.Option("--open", help="only open items")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The month's exception items for finance."""
    from services import reconciliation

    items = reconciliation.list_exceptions(month, only_open=open_only)
    if as_json:
        typer.echo(json.dumps([{**i.__dict__, "severity": i.severity.value, "status": i.status.value} for i in items],
                              ensure_ascii=False, indent=2))
        return
    table = Table("id", "class", "severity", "status", "reference", "ours", "provider")
    for i in items:
        table.add_row(str(i.id), i.discrepancy, i.severity.value, i.status.value, i.reference,
                      format_fen(i.our_amount_fen), format_fen(i.provider_amount_fen))
    console.print(table)


@reconcile_app.command("resolve")
@handled
def reconcile_resolve(
    exception_id: int,
    staff: Annotated[str, typer.Option("--as", help="finance officer's staff number")],
    reason: Annotated[str, typer.Option(help="what was found and done")],
    code: CodeOption = None,
) -> None:
    """Resolve one exception item, with a reason (audited)."""
    from services import reconciliation

    item = reconciliation.resolve_exception(exception_id, staff_number=claim(staff, code), reason=reason)
    typer.echo(f"exception {item.id} ({item.reference}) resolved")


@reconcile_app.command("sign-off")
@handled
def reconcile_sign_off(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    staff: Annotated[str, typer.Option("--as", help="finance officer's staff number")],
    code: CodeOption = None,
) -> None:
    """Sign the month off; refused while an exception is open."""
    from services import reconciliation

    summary = reconciliation.sign_off(month, staff_number=claim(staff, code))
    typer.echo(f"{month} version {summary.version} signed off by {summary.signed_off_by}")
