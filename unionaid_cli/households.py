"""The hardship household register: ``households register``, ``import``, ``leave`` and ``list``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from models.errors import InputError
from unionaid_cli.shared import CodeOption, claim, console, fail_on_problems, handled

households_app = typer.Typer(help="The hardship household register (困难职工建档).", no_args_is_help=True)


@households_app.command("register")
@handled
def households_register(
    household_number: str,
    tier: Annotated[str, typer.Option(help="deep (深度困难), relative (相对困难) or accident (意外致困)")],
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    reason: Annotated[str, typer.Option(help="the evidence: a case number or the paper file")],
    case: Annotated[Optional[str], typer.Option(help="a verified hardship case of this household, as evidence")] = None,
    since: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD the household entered the register (default: today)")]
    = None,
    code: CodeOption = None,
) -> None:
    """Put a household in the register at a tier, or change its tier (audited)."""
    from datetime import date

    from services import households

    try:
        registered_on = date.fromisoformat(since) if since else None
    except ValueError:
        raise InputError("since", "must be a date as YYYY-MM-DD") from None
    typer.echo(households.register(household_number, tier, actor=claim(staff, code), reason=reason, case_number=case,
                                   registered_on=registered_on))


@households_app.command("import")
@handled
def households_import(
    file: Annotated[Path, typer.Argument(help="CSV or JSON: household_number, tier, reason[, since, case]")],
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    code: CodeOption = None,
) -> None:
    """Carry a paper register over; each row audited like `households register`."""
    from services import households

    report = households.import_register(file, actor=claim(staff, code))
    for line in report.changed:
        typer.echo(line)
    typer.echo(f"{len(report.changed)} household(s) changed, {report.unchanged} already registered")
    if report.ignored_columns:
        typer.echo(f"ignored column(s): {', '.join(report.ignored_columns)}")
    fail_on_problems(report.problems, "row(s) not imported; correct them and import the file again")


@households_app.command("leave")
@handled
def households_leave(
    household_number: str,
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    reason: Annotated[str, typer.Option(help="why the household leaves the register (e.g. 脱困)")],
    code: CodeOption = None,
) -> None:
    """Take a household off the register (audited)."""
    from services import households

    typer.echo(households.deregister(household_number, actor=claim(staff, code), reason=reason))


@households_app.command("list")
@handled
def households_list(
    tier: Annotated[Optional[str], typer.Option(help="only this tier")] = None,
    unit: Annotated[Optional[str], typer.Option(help="only this unit code")] = None,
    every: Annotated[bool, typer.Option("--all", help="also households not in the register")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """The register: household, unit, tier, since when, its member, how many people."""
    from models.policy import Tier
    from services import households

    try:
        wanted = Tier(tier) if tier else None
    except ValueError:
        raise InputError("tier", f"must be one of {', '.join(t.value for t in Tier)}") from None
    entries = households.list_register(tier=wanted, unit_code=unit, include_unregistered=every)
    if as_json:
        typer.echo(json.dumps([{"household": e.household_number, "unit": e.unit, "tier": e.tier.value if e.tier else None,
                                "registered_on": e.registered_on.isoformat() if e.registered_on else None,
                                "member": e.self_member, "people": e.people} for e in entries], indent=2))
        return
    table = Table("household", "unit", "tier", "since", "member", "people")
    for e in entries:
        table.add_row(e.household_number, e.unit, e.tier.value if e.tier else "-",
                      e.registered_on.isoformat() if e.registered_on else "-", e.self_member or "-", str(e.people))
    console.print(table)


@households_app.command("file")
@handled
def households_file(
    household_number: str,
    situation: Annotated[str, typer.Option(help="the family's situation (stored encrypted)")],
    causes: Annotated[str, typer.Option(help="causes of hardship, comma-separated, e.g. unemployment,serious_illness")],
    skills: Annotated[str, typer.Option(help="what the family's members can do (stored encrypted)")],
    needs: Annotated[str, typer.Option(help="what the family needs (stored encrypted)")],
    staff: Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")],
    code: CodeOption = None,
) -> None:
    """Write the household's file (建档): situation, causes, skills, needs (audited)."""
    from services.household_files import write_file

    typer.echo(write_file(household_number, situation=situation, causes=causes.split(","), skills=skills, needs=needs,
                          actor=claim(staff, code)))


@households_app.command("show")
@handled
def households_show(
    household_number: str,
    staff: Annotated[str, typer.Option("--as", help="caseworker's, approver's or supervisor's staff number")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    code: CodeOption = None,
) -> None:
    """The household's file and its aid history: every case and pairing (the read is audited)."""
    from dataclasses import asdict

    from models.money import format_fen
    from services.household_files import read_file

    record = read_file(household_number, actor=claim(staff, code))
    if as_json:
        typer.echo(json.dumps(asdict(record), ensure_ascii=False, default=str))
        return
    typer.echo(f"household {record.household_number}: "
               + (f"{record.tier} since {record.registered_on}" if record.tier else "not in the register"))
    for name, value in (("situation", record.situation), ("causes", ", ".join(record.causes) or None),
                        ("skills", record.skills), ("needs", record.needs)):
        typer.echo(f"{name}: {value if value else '(not written yet: `unionaid households file`)'}")
    typer.echo("aid:" if record.aid else "aid: none yet")
    for line in record.aid:
        typer.echo(f"  {line.case_number} {line.category} received {line.applied_on}: {line.status}, "
                   f"paid {format_fen(line.paid_fen)}")
    for pairing in record.pairings:
        typer.echo(f"pairing {pairing}")
