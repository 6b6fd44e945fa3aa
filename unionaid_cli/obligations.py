"""What cases owe and are owed: ``obligations list``, ``obligations receive`` and ``obligations overdue``."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.errors import InputError
from models.money import format_fen, parse_yuan
from unionaid_cli.shared import CodeOption, claim, console, handled

obligations_app = typer.Typer(help="What a case owes (payouts) and is owed (receivables, e.g. an employer "
                                   "repaying a wage advance).", no_args_is_help=True)


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(field, "must be a date as YYYY-MM-DD") from None


def _table(rows: list, title: str) -> None:
    table = Table("case", "no.", "way", "party", "purpose", "amount", "settled", "due", "state", title=title)
    for r in rows:
        table.add_row(r.case_number, str(r.seq), r.direction.value, f"{r.party.value} {r.party_ref}", r.purpose,
                      format_fen(r.amount_fen), format_fen(r.settled_fen), r.due_on.isoformat() if r.due_on else "",
                      r.state.value)
    console.print(table)


def _dicts(rows: list) -> str:
    return json.dumps([{**r.__dict__, "direction": r.direction.value, "party": r.party.value, "state": r.state.value,
                        "due_on": r.due_on.isoformat() if r.due_on else None} for r in rows], ensure_ascii=False, indent=2)


@obligations_app.command("list")
@handled
def obligations_list(
    case_number: str,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Every amount one case owes or is owed, with what is settled."""
    from services.obligations import obligations_of

    rows = obligations_of(case_number)
    if as_json:
        typer.echo(_dicts(rows))
        return
    _table(rows, f"obligations of {case_number}")


@obligations_app.command("receive")
@handled
def obligations_receive(
    case_number: str,
    seq: Annotated[int, typer.Argument(help="the obligation's number in the case (see `obligations list`)")],
    amount: Annotated[str, typer.Option(help="amount received, in yuan")],
    reference: Annotated[str, typer.Option(help="the payer's transfer reference (recording it again changes nothing)")],
    received_on: Annotated[str, typer.Option("--on", help="the day it was received, YYYY-MM-DD")],
    staff: Annotated[str, typer.Option("--as", help="your staff number (finance)")],
    code: CodeOption = None,
) -> None:
    """Record money received against what a case is owed."""
    from services.obligations import obligations_of, record_receipt

    record_receipt(case_number, seq, amount_fen=parse_yuan(amount, "amount"), reference=reference,
                   received_on=_day(received_on, "on"), actor=claim(staff, code))
    owed = next(o for o in obligations_of(case_number) if o.seq == seq)
    typer.echo(f"{case_number} obligation {seq}: {format_fen(owed.settled_fen)} of {format_fen(owed.amount_fen)} "
               f"received ({owed.state.value})")


@obligations_app.command("overdue")
@handled
def obligations_overdue(
    on: Annotated[Optional[str], typer.Option(help="the day to look from, YYYY-MM-DD (default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Receivables still open after their day, the longest overdue first."""
    from models.time import utcnow
    from services.obligations import overdue_receivables
    from services.settings import get_settings

    day = _day(on, "on") if on else utcnow().astimezone(get_settings().zone).date()
    rows = overdue_receivables(day)
    if as_json:
        typer.echo(_dicts(rows))
        return
    _table(rows, f"receivables overdue on {day.isoformat()}")
