"""The CLI's boundary: our errors become one line and an exit code, never a traceback."""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from models.errors import AuditChainBroken, UnionaidError, ValidationFailed
from services.masking import mask_text
from services.settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("unionaid.cli")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {mask_text(message)}", err=True)
    raise typer.Exit(code)


def handled(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except ValidationFailed as exc:
            for problem in exc.problems:
                typer.echo(f"  {problem}", err=True)
            fail(f"{len(exc.problems)} problem(s) in the input; nothing was stored")
        except AuditChainBroken as exc:
            fail(str(exc))
        except UnionaidError as exc:
            fail(str(exc))
        except (OperationalError, ProgrammingError) as exc:
            _write_details(exc)
            hint = "run `unionaid db upgrade`" if isinstance(exc, ProgrammingError) or "no such table" in str(exc) else "is it running?"
            fail(f"the database at {_safe_url()} could not be used ({hint})")
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing escapes as a traceback
            where = _write_details(exc)
            fail(f"internal error ({type(exc).__name__}); details written to {where}", code=70)
    return wrapper  # type: ignore[return-value]


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().effective_database_url).render_as_string(hide_password=True)


def _write_details(exc: BaseException) -> str:
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / "cli-errors.log"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(mask_text("".join(traceback.format_exception(exc))) + "\n")
    return str(path)


def exit_with(code: int) -> None:
    sys.exit(code)
