"""What every command module uses: the one console, local times, problem lists and the error boundary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Optional

import typer
from rich.console import Console

from models.enums import CaseType
from models.errors import FieldProblem, InputError
from models.identity import SYSTEM_ACTOR, Actor, StaffClaim
from models.time import as_utc
from services.settings import get_settings
from unionaid_cli.errors import fail, handled

console = Console()

# Every command a person decides with takes who they are (--as) and the one-time code their
# authenticator app shows now (--code, asked for without echo when not given).
OptionalCode = Annotated[Optional[str], typer.Option(
    "--code", help="the 6-digit code your authenticator app shows now (asked, without echo, when left out)")]
CodeOption = OptionalCode


def claim(staff: str, code: str | None) -> Actor:
    """Who the person says they are, with the code that is to prove it (asked for when not
    given); ``system`` stays the operator, only where a command allows it (``services.auth``
    checks both)."""
    if staff.strip().lower() == SYSTEM_ACTOR and code is None:
        return SYSTEM_ACTOR
    if code is None:
        code = typer.prompt("One-time code 动态码", hide_input=True)
    return StaffClaim(staff.strip(), code.strip())


def fail_on_problems(problems: list[FieldProblem], what: str) -> None:
    """List a file's problems by row and field (never their values), then exit 1."""
    if problems:
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        fail(f"{len(problems)} {what}")


def day_or_today(text: str | None, field: str) -> date:
    """A ``YYYY-MM-DD`` option, or today in the federation's zone when it is left out."""
    if not text:
        from models.time import utcnow

        return utcnow().astimezone(get_settings().zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(field, "must be a date as YYYY-MM-DD") from None


def local_time(dt: datetime | None) -> str:
    """A stored time in the federation's zone to the minute, or ``-``."""
    return as_utc(dt).astimezone(get_settings().zone).strftime("%Y-%m-%d %H:%M") if dt else "-"


__all__ = ["CodeOption", "OptionalCode", "claim", "console", "day_or_today", "fail", "fail_on_problems", "handled",
           "local_time"]


def case_type_arg(value: str) -> CaseType:
    """A ``--type`` option: one of the registered case types, refused by name otherwise."""
    try:
        return CaseType(value.strip().lower())
    except ValueError:
        known = ", ".join(CaseType.known())
        raise typer.BadParameter(f"is not a case type; one of {known}") from None
