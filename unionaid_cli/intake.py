"""Taking applications: ``intake <type> FILE`` and the form's ``schema <type>``, for every case
type the registry (``casetypes``) lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from models.errors import FieldProblem, InputError, NotFound, RuleViolation
from unionaid_cli.shared import CodeOption, claim, fail, handled

if TYPE_CHECKING:
    from casetypes.spec import CaseTypeSpec

TYPE_HELP = "the case type, e.g. hardship"


def _spec(case_type: str) -> CaseTypeSpec:
    from casetypes import REGISTRY  # imports Prefect: only when a command needs it

    for known, spec in REGISTRY.items():
        if known.value == case_type:
            return spec
    raise InputError("case_type", f"takes one of {', '.join(sorted(t.value for t in REGISTRY))}")


@handled
def schema(case_type: Annotated[str, typer.Argument(help=TYPE_HELP)]) -> None:
    """Print the JSON schema of a case type's application form (what `intake` reads)."""
    typer.echo(json.dumps(_spec(case_type).files.schema(), ensure_ascii=False, indent=2))


@handled
def intake(
    case_type: Annotated[str, typer.Argument(help=TYPE_HELP)],
    file: Annotated[Path, typer.Argument(help="JSON (one application) or CSV (one per row; list fields joined by ';')")],
    staff: Annotated[str, typer.Option("--as", help="your staff number: the caseworker every application names")],
    process: Annotated[bool, typer.Option(help="start processing each case in Prefect")] = True,
    code: CodeOption = None,
) -> None:
    """Take applications, submitted by you: each valid one becomes a case; problems listed by
    row and field."""
    from services.auth import proven

    files = _spec(case_type).files
    applications, problems = files.read(file)
    submitter = proven(claim(staff, code)) if applications else claim(staff, code)  # one code for the file
    numbers = []
    for row, application in applications:
        try:
            numbers.append(files.store(application, submitter))
        except InputError as exc:
            problems.append(exc.problem_detail if exc.problem_detail.row else
                            type(exc.problem_detail)(exc.problem_detail.field, exc.problem_detail.problem, row))
        except (RuleViolation, NotFound) as exc:  # this application is refused; the others go on
            problems.append(FieldProblem("application", str(exc), row))
    for number in numbers:
        typer.echo(f"{number} submitted")
        if process:
            from services.runs import start_case_run  # never raises: a case it cannot start, the sweep carries on

            typer.echo(f"  {start_case_run(number)}")
    for problem in problems:
        typer.echo(f"  {problem}", err=True)
    refused = len({p.row for p in problems})
    if problems:
        fail(f"{refused} application(s) not taken; {len(numbers)} taken")
    typer.echo(f"{len(numbers)} application(s) taken, 0 not taken")

