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
from unionaid_cli.shared import CodeOption, OptionalCode, case_type_arg, claim, console, handled

# Setting up (units, staff, programmes, enrolment): a supervisor who proves who they are; the
# operator (the default, ``system``) only while no supervisor is enrolled yet.
SetupAs = Annotated[str, typer.Option("--as", help="supervisor's staff number (none needed before the first "
                                               "supervisor is enrolled)")]

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
    staff: SetupAs = "system",
    otp: OptionalCode = None,
) -> None:
    """Add a union unit (by a supervisor; by the operator while no supervisor is enrolled)."""
    try:
        unit_level = UnitLevel(level.strip().lower())
    except ValueError:  # one `error:` line naming the field, like every other bad input
        raise InputError("level", "must be grassroots or district") from None
    unit = org.add_unit(code, name, unit_level, parent, actor=claim(staff, otp))
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
    staff: SetupAs = "system",
    code: OptionalCode = None,
) -> None:
    """Add a staff member (by a supervisor; by the operator while no supervisor is enrolled)."""
    added = org.add_staff(staff_number, name, unit, org.parse_roles(roles), parse_yuan(limit, "limit"),
                          actor=claim(staff, code))
    typer.echo(f"staff member {added.staff_number} added ({added.roles}); "
               f"enrol their one-time code with `unionaid staff enrol {added.staff_number}`")


@staff_app.command("enrol")
@handled
def staff_enrol(
    staff_number: str,
    staff: SetupAs = "system",
    code: OptionalCode = None,
) -> None:
    """Set up a staff member's one-time codes: prints a QR code for their authenticator app
    (any app for RFC 6238 codes). An earlier set-up stops working."""
    from services import auth

    enrolment = auth.enrol(staff_number, by=claim(staff, code))
    typer.echo(f"{enrolment.staff_number}: scan this with the authenticator app, then check it with any command")
    print_qr(enrolment.uri)
    typer.echo("or enter this link in the app by hand (keep it secret; it is not shown again):")
    typer.echo(enrolment.uri)


def print_qr(uri: str) -> None:
    import io

    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(uri)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    typer.echo(out.getvalue())


@staff_app.command("revoke")
@handled
def staff_revoke(staff_number: str, staff: SetupAs = "system", code: OptionalCode = None) -> None:
    """Stop a staff member's codes from proving anything (a lost phone, someone leaving)."""
    from services import auth

    auth.revoke(staff_number, by=claim(staff, code))
    typer.echo(f"{staff_number}: one-time codes revoked; enrol again to give new ones")


@staff_app.command("unlock")
@handled
def staff_unlock(staff_number: str, staff: SetupAs = "system", code: OptionalCode = None) -> None:
    """Unlock an account locked after too many wrong codes."""
    from services import auth

    auth.unlock(staff_number, by=claim(staff, code))
    typer.echo(f"{staff_number}: unlocked")


@staff_app.command("demo-code")
@handled
def staff_demo_code(staff_number: str) -> None:
    """Development only: the code a demo staff member's app would show now."""
    from services import auth

    typer.echo(auth.current_code(staff_number))


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
    staff: Annotated[str, typer.Option("--as", help="staff number of who imports (a caseworker or supervisor)")],
    code: CodeOption = None,
) -> None:
    """Import members: valid rows are stored, invalid rows listed by row and field."""
    report = member_import.import_members(file, actor=claim(staff, code))
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
    staff: Annotated[str, typer.Option("--as", help="finance officer's or supervisor's staff number (none needed "
                                                    "before the first supervisor is enrolled)")] = "system",
    otp: OptionalCode = None,
) -> None:
    """Add a programme with its budget for one year (finance or a supervisor)."""
    from services import ledger

    programme = ledger.add_programme(code, name, case_type, year, parse_yuan(budget, "budget"),
                                     actor=claim(staff, otp))
    typer.echo(f"programme {programme.code} {programme.year} added with a budget of {format_fen(programme.budget_fen)}")
