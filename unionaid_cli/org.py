"""The organisation: ``units``, ``staff``, ``members`` and ``programmes``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.enums import CaseType, UnitLevel
from models.errors import InputError
from models.money import format_fen, parse_yuan
from services import member_import, member_queries, org
from unionaid_cli.shared import case_type_arg, console, handled

units_app = typer.Typer(help="Union units (grassroots unions and the district federation).", no_args_is_help=True)
staff_app = typer.Typer(help="Staff members, their roles and approval limits.", no_args_is_help=True)
members_app = typer.Typer(help="Union members.", no_args_is_help=True)
programmes_app = typer.Typer(help="Assistance programmes and their yearly budgets.", no_args_is_help=True)


@units_app.command("add")
@handled
def units_add(
    code: str,
    name: str,
    level: Annotated[str, typer.Option(help="grassroots or district")] = UnitLevel.grassroots.value,
    parent: Annotated[Optional[str], typer.Option(help="code of the parent unit")] = None,
) -> None:
    """Add a union unit."""
    try:
        unit_level = UnitLevel(level.strip().lower())
    except ValueError:  # one `error:` line naming the field, like every other bad input
        raise InputError("level", "must be grassroots or district") from None
    unit = org.add_unit(code, name, unit_level, parent)
    typer.echo(f"unit {unit.code} added")


@units_app.command("list")
@handled
def units_list() -> None:
    """List units."""
    table = Table("code", "name", "level")
    for unit in org.list_units():
        table.add_row(unit.code, unit.name, unit.level.value)
    console.print(table)


@staff_app.command("add")
@handled
def staff_add(
    staff_number: str,
    name: str,
    unit: Annotated[str, typer.Option(help="unit code")],
    roles: Annotated[str, typer.Option(help="comma-separated: caseworker, approver, mediator, finance, supervisor")],
    limit: Annotated[str, typer.Option(help="approval limit in yuan (approvers)")] = "0",
) -> None:
    """Add a staff member."""
    staff = org.add_staff(staff_number, name, unit, org.parse_roles(roles), parse_yuan(limit, "limit"))
    typer.echo(f"staff member {staff.staff_number} added ({staff.roles})")


@staff_app.command("list")
@handled
def staff_list(as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """List staff members."""
    rows = org.list_staff()
    if as_json:
        typer.echo(json.dumps([{"staff_number": s.staff_number, "name": s.name, "unit": u.code,
                                "roles": s.roles.split(","), "approval_limit_fen": s.approval_limit_fen,
                                "active": s.active} for s, u in rows], ensure_ascii=False, indent=2))
        return
    table = Table("staff no.", "name", "unit", "roles", "approval limit", "active")
    for s, u in rows:
        table.add_row(s.staff_number, s.name, u.code, s.roles, format_fen(s.approval_limit_fen), "yes" if s.active else "no")
    console.print(table)


@members_app.command("import")
@handled
def members_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON file of members")],
    actor: Annotated[str, typer.Option("--as", help="staff number of who imports")] = "system",
) -> None:
    """Import members: valid rows are stored, invalid rows listed by row and field."""
    report = member_import.import_members(file, actor=actor)
    if report.ignored_columns:
        typer.echo(f"note: ignored unknown column(s): {', '.join(report.ignored_columns)}")
    if report.problems:
        table = Table("row", "field", "problem", title="rejected rows")
        for p in report.problems:
            table.add_row(str(p.row), p.field, p.problem)
        console.print(table)
    typer.echo(report.summary())
    if report.problems:
        raise typer.Exit(1)


@members_app.command("list")
@handled
def members_list(limit: int = 50) -> None:
    """List members (resident IDs masked)."""
    table = Table("member no.", "name", "resident ID", "unit", "status")
    for m in member_queries.list_members(limit=limit):
        table.add_row(m.member_number, m.name, m.resident_id_masked, m.unit, m.status.value)
    console.print(table)


@programmes_app.command("add")
@handled
def programmes_add(
    code: str,
    name: str,
    case_type: Annotated[CaseType, typer.Option("--type", parser=case_type_arg, metavar="TYPE", help="hardship, mediation or insurance")],
    year: Annotated[int, typer.Option(help="budget year")],
    budget: Annotated[str, typer.Option(help="yearly budget in yuan")],
) -> None:
    """Add a programme with its budget for one year."""
    from services import ledger

    programme = ledger.add_programme(code, name, case_type, year, parse_yuan(budget, "budget"))
    typer.echo(f"programme {programme.code} {programme.year} added with a budget of {format_fen(programme.budget_fen)}")
