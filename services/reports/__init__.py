"""The monthly report for finance and supervisors: money, plan targets, casework, reconciliation.

Design:

    build_monthly_report(month)          -> MonthlyReport        pure data, read in one snapshot
        ReportContext                    bounds, "as at", and the facts read once (ledger, audit trail)
        registry.SECTIONS                section builders, in order; a case type registers its own
        registry.MEASURES                plan measures with a data source; any other -> "no data"
    write_xlsx / write_csvs / write_html -> files under settings.data_dir / "reports" / <month> /
    publish_artifacts(report, files)     -> Prefect artifacts "monthly-report", "monthly-report-<section>"
    produce_monthly_report(month)        all of the above, as the reconciliation flow and the CLI call it

Rules kept:
- Money is the ledger's, in integer fen, as at the end of the month: exact to the fen, and the
  same whenever a complete month is reported again (postings are append-only and dated).
- Statuses as at the end of the month come from the audit trail, not from today's case rows.
- A target whose data source does not exist yet is "no data", never 0; an unknown target stays
  unknown and gets no share.
- No personal data anywhere: case numbers, payout references, unit and staff codes only. Builders
  never select names, ID numbers, accounts or free-text reasons.
- Reading only: on PostgreSQL the report's transaction is REPEATABLE READ and READ ONLY.

Adding a case type's section: a module like ``services/reports/hardship.py`` with
``@register_section("mediation-clocks", case_type=CaseType.mediation)`` (and
``@register_measure(...)`` for the targets it can count), imported at the end of this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from services.reports import sections as _core_sections  # noqa: F401  (registers the shared sections first)
from services.reports.artifacts import markdown_summary, publish_artifacts, section_artifact_key
from services.reports.build import build_monthly_report
from services.reports.csvs import write_csvs
from services.reports.files import ReportFiles, report_directory
from services.reports.html import render_html, write_html
from services.reports.model import NO_DATA, UNKNOWN, Column, ColumnType, MonthlyReport, Section
from services.reports.registry import register_approval_wait_limit, register_measure, register_section
from services.reports.sections import DEFAULT_APPROVAL_WAIT_DAYS
from services.reports.xlsx import YUAN_FORMAT, write_xlsx


def write_report_files(report: MonthlyReport, directory: Path | None = None) -> ReportFiles:
    """The workbook, the HTML page and the CSVs of ``report`` in ``directory`` (default: the month's
    directory under ``settings.data_dir / "reports"``)."""
    directory = directory or report_directory(report.month)
    stem = f"monthly-report-{report.month}"
    xlsx = write_xlsx(report, directory / f"{stem}.xlsx")
    html = write_html(report, directory / f"{stem}.html")
    return ReportFiles(directory, xlsx, html, write_csvs(report, directory))


@dataclass(frozen=True)
class ProducedReport:
    report: MonthlyReport
    files: ReportFiles
    artifact_keys: tuple[str, ...]


def produce_monthly_report(month: str, *, engine: Engine | None = None, today: date | None = None,
                           publish: bool = True, directory: Path | None = None) -> ProducedReport:
    """Build the month's report, write its files, and (``publish``) create its Prefect artifacts."""
    report = build_monthly_report(month, engine=engine, today=today)
    files = write_report_files(report, directory)
    keys = tuple(publish_artifacts(report, files)) if publish else ()
    return ProducedReport(report, files, keys)


from services.reports import assistance as _assistance  # noqa: E402,F401  (pairings and employment help)
from services.reports import hardship as _hardship  # noqa: E402,F401  (case-type sections after the shared ones)
from services.reports import insurance as _insurance  # noqa: E402,F401
from services.reports import mediation as _mediation  # noqa: E402,F401

__all__ = [
    "DEFAULT_APPROVAL_WAIT_DAYS", "NO_DATA", "UNKNOWN", "YUAN_FORMAT", "Column", "ColumnType", "MonthlyReport",
    "ProducedReport", "ReportFiles", "Section", "build_monthly_report", "markdown_summary", "produce_monthly_report",
    "publish_artifacts", "register_approval_wait_limit", "register_measure", "register_section", "render_html",
    "report_directory", "section_artifact_key", "write_csvs", "write_html", "write_report_files", "write_xlsx",
]
