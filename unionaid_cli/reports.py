"""The monthly ``report``: workbook, CSVs, a page with charts and, when asked, Prefect artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from services.settings import get_settings
from unionaid_cli.shared import handled


@handled
def report(
    month: Annotated[Optional[str], typer.Option(help="YYYY-MM (default: the previous month)")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="also create the Prefect artifacts (needs `unionaid up` running)")] = False,
    directory: Annotated[Optional[Path], typer.Option("--dir", help="write the files here instead of <data_dir>/reports/<month>")] = None,
) -> None:
    """The monthly report: workbook, CSVs and a page with charts: `unionaid report --month 2026-10`."""
    from flows.reconciliation import previous_month
    from models.time import utcnow
    from services.prefect_env import our_prefect_server
    from services.reports import produce_monthly_report

    month = month or previous_month(utcnow().astimezone(get_settings().zone).date())
    with our_prefect_server():
        produced = produce_monthly_report(month, publish=publish, directory=directory)
    files = produced.files
    typer.echo(f"monthly report {month}: {produced.report.scope_text}")
    typer.echo(f"  workbook: {files.xlsx}")
    typer.echo(f"  page:     {files.html}")
    typer.echo(f"  CSV:      {len(files.csvs)} files in {files.directory}")
    if produced.artifact_keys:
        typer.echo(f"  artifacts: {', '.join(produced.artifact_keys)}")
