"""Running the system: ``up``, ``demo`` and ``db upgrade``."""

from __future__ import annotations

from typing import Annotated

import typer

from services import migrate
from services.db import get_engine
from unionaid_cli.shared import handled

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@handled
def up(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="do not seed demo data into an empty database")] = False,
) -> None:
    """Start everything locally: database, Prefect server and UI, served deployments, sandboxes."""
    from devtools.stack import run_stack

    raise typer.Exit(run_stack(seed_demo=not no_demo))


@handled
def demo() -> None:
    """A scripted walk-through on demo data; prints each case's final state and exits."""
    from devtools.demo import run_demo

    run_demo(echo=typer.echo)


@db_app.command("upgrade")
@handled
def db_upgrade() -> None:
    """Bring the database schema up to date (Alembic)."""
    migrate.upgrade(get_engine())
    typer.echo(f"database schema at {migrate.current_revision(get_engine())}")


@db_app.command("grant")
@handled
def db_grant(role: Annotated[str, typer.Argument(help="the PostgreSQL role the application connects as")]) -> None:
    """Run as the tables' owner after ``db upgrade``: grant the application's role what it needs
    and no more (INSERT and SELECT only on the audit and ledger tables; no TRUNCATE, no DDL)."""
    from services.db_roles import grant_app_role

    granted = grant_app_role(get_engine(), role)
    typer.echo(f"{len(granted)} grants to {role}; it owns nothing and cannot rewrite the audit or ledger tables")
