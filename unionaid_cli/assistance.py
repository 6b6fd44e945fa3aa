"""Assistance pairings (``pairings start|visit|end|list``) and employment help (``employment record``)."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from unionaid_cli.shared import CodeOption, claim, console, day_or_today, handled

pairings_app = typer.Typer(help="Assistance pairings (帮扶结对) with registered hardship households.",
                           no_args_is_help=True)
employment_app = typer.Typer(help="Employment help: job referrals (春送岗位), training, re-employment.",
                             no_args_is_help=True)

StaffOption = Annotated[str, typer.Option("--as", help="caseworker's or supervisor's staff number")]




@pairings_app.command("start")
@handled
def pairings_start(
    household_number: str,
    helper_kind: Annotated[str, typer.Option(help="model_worker (劳模), entrepreneur (企业家), unit (单位) or other")],
    helper: Annotated[str, typer.Option(help="the helper's or unit's name")],
    commitments: Annotated[str, typer.Option(help="what the helper commits to (stored encrypted)")],
    staff: StaffOption,
    since: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD the pairing starts (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Pair a helper with a household of the hardship register (audited)."""
    from services import assistance

    number = assistance.start_pairing(household_number, helper_kind=helper_kind, helper_name=helper,
                                      started_on=day_or_today(since, "since"), commitments=commitments,
                                      actor=claim(staff, code))
    typer.echo(f"pairing {number}: household {household_number} paired with a {helper_kind.replace('_', ' ')}")


@pairings_app.command("visit")
@handled
def pairings_visit(
    pairing: int,
    notes: Annotated[str, typer.Option(help="what the visit found and did (stored encrypted)")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD of the visit (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record a visit of the helper to the household."""
    from services import assistance

    count = assistance.record_visit(pairing, visited_on=day_or_today(on, "on"), notes=notes, actor=claim(staff, code))
    typer.echo(f"pairing {pairing}: visit recorded ({count} so far)")


@pairings_app.command("end")
@handled
def pairings_end(
    pairing: int,
    reason: Annotated[str, typer.Option(help="why it ends (e.g. 脱困, the helper moved)")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD it ends (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """End a pairing on a day, with its reason."""
    from services import assistance

    ended_on = day_or_today(on, "on")
    assistance.end_pairing(pairing, ended_on=ended_on, reason=reason, actor=claim(staff, code))
    typer.echo(f"pairing {pairing}: ended on {ended_on.isoformat()}")


@pairings_app.command("list")
@handled
def pairings_list(as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """Every pairing: household, helper, days, visits (no commitments or notes)."""
    from services import assistance

    views = assistance.list_pairings()
    if as_json:
        typer.echo(json.dumps([{"pairing": v.id, "household": v.household, "helper_kind": v.helper_kind,
                                "helper": v.helper_name, "started_on": v.started_on.isoformat(),
                                "ended_on": v.ended_on.isoformat() if v.ended_on else None, "visits": v.visits}
                               for v in views], ensure_ascii=False))
        return
    table = Table("pairing", "household", "helper", "since", "until", "visits")
    for v in views:
        table.add_row(str(v.id), v.household, f"{v.helper_name} ({v.helper_kind})", v.started_on.isoformat(),
                      v.ended_on.isoformat() if v.ended_on else "", str(v.visits))
    console.print(table)


@employment_app.command("record")
@handled
def employment_record(
    member_number: str,
    kind: Annotated[str, typer.Argument(help="referral (岗位推荐), training (技能培训) or reemployed (实现再就业)")],
    detail: Annotated[str, typer.Option(help="the employer, job or course (no personal data)")],
    staff: StaffOption,
    on: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD it happened (default: today)")] = None,
    code: CodeOption = None,
) -> None:
    """Record a job referral, a training completed or a re-employment of a member (the same twice is once)."""
    from services import assistance

    day = day_or_today(on, "on")
    new = assistance.record_employment(member_number, kind, happened_on=day, detail=detail, actor=claim(staff, code))
    typer.echo(f"{member_number}: {kind} on {day.isoformat()} " + ("recorded" if new else "was recorded already"))
