"""What every command module uses: the one console, local times, problem lists and the error boundary."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from models.enums import CaseType
from models.errors import FieldProblem
from models.time import as_utc
from services.settings import get_settings
from unionaid_cli.errors import fail, handled

console = Console()


def fail_on_problems(problems: list[FieldProblem], what: str) -> None:
    """List a file's problems by row and field (never their values), then exit 1."""
    if problems:
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        fail(f"{len(problems)} {what}")


def local_time(dt: datetime | None) -> str:
    """A stored time in the federation's zone to the minute, or ``-``."""
    return as_utc(dt).astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M") if dt else "-"


__all__ = ["console", "fail", "fail_on_problems", "handled", "local_time"]


def case_type_arg(value: str) -> CaseType:
    """A ``--type`` option: one of the registered case types, refused by name otherwise."""
    try:
        return CaseType(value.strip().lower())
    except ValueError:
        known = ", ".join(CaseType.known())
        raise typer.BadParameter(f"is not a case type; one of {known}") from None
