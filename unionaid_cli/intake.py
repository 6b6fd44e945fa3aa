"""Taking applications: ``intake hardship`` and the form's ``schema hardship``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from models.errors import InputError
from unionaid_cli.shared import fail, handled

intake_app = typer.Typer(help="Take applications.", no_args_is_help=True)
schema_app = typer.Typer(help="JSON schemas of the application forms.", no_args_is_help=True)


@schema_app.command("hardship")
@handled
def schema_hardship() -> None:
    """Print the JSON schema of a hardship application (what `intake hardship` reads)."""
    from models.intake import application_schema

    typer.echo(json.dumps(application_schema(), ensure_ascii=False, indent=2))


@intake_app.command("hardship")
@handled
def intake_hardship(
    file: Annotated[Path, typer.Argument(help="JSON (one application) or CSV (one per row; list fields joined by ';')")],
    process: Annotated[bool, typer.Option(help="start processing each case in Prefect")] = True,
) -> None:
    """Take hardship applications: each valid one becomes a case; problems listed by row and field."""
    from services.hardship_files import read_applications
    from services.intake import intake_hardship as take

    applications, problems = read_applications(file)
    numbers = []
    for row, application in applications:
        try:
            numbers.append(take(application))
        except InputError as exc:
            problems.append(exc.problem_detail if exc.problem_detail.row else
                            type(exc.problem_detail)(exc.problem_detail.field, exc.problem_detail.problem, row))
    for number in numbers:
        typer.echo(f"{number} submitted")
        if process:
            from services.runs import wake_case

            typer.echo(f"  {wake_case(number, {})}")
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    if problems:
        fail(f"{len({p.row for p in problems})} application(s) not taken; {len(numbers)} taken")
