"""The report in the Prefect UI: a markdown summary and one table per section, under stable keys.

Keys never change from month to month (``monthly-report``, ``monthly-report-money``, ...), so the
UI's artifact page shows each key's history: one version per month the report ran. The summary
links the files (``file://`` paths on the machine that wrote them). Everything shown comes from
the report, which holds no personal data.

The artifact functions are a parameter (Prefect's by default), so the text is tested without a
Prefect server and a test can hand in a fake that records what would be published.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.reports.files import ReportFiles
from services.reports.model import ColumnType, MonthlyReport, Section, display
from services.reports.summary import key_figures

SUMMARY_KEY = "monthly-report"
TABLE_ROWS_LIMIT = 500


def section_artifact_key(section: Section) -> str:
    return f"{SUMMARY_KEY}-{section.key}"


def markdown_summary(report: MonthlyReport, files: ReportFiles | None = None) -> str:
    lines = [f"# {report.title}", ""]
    if report.plan_title:
        lines += [report.plan_title, ""]
    lines += [f"{report.scope_text}; 时间进度 year elapsed **{display(report.year_elapsed, ColumnType.percent)}**.", ""]
    figures = key_figures(report)
    if figures:
        lines += ["| | |", "|---|---:|"]
        lines += [f"| {f.label} | {'**' + f.value + '**' if f.attention else f.value} |" for f in figures]
        lines.append("")
    if report.has("targets"):
        lines += ["## 年度目标 Plan targets", "", _markdown_table(report.section("targets"),
                                                                ("title", "target", "actual", "achieved", "pace")), ""]
    if files is not None:
        lines += ["## Files", "",
                  f"- workbook (one sheet per section): [{files.xlsx.name}]({files.xlsx.as_uri()})",
                  f"- page with charts, for a browser: [{files.html.name}]({files.html.as_uri()})",
                  f"- CSV, one per section: [{files.directory}]({files.directory.as_uri()})", ""]
    lines.append("Sections: " + ", ".join(f"`{section_artifact_key(s)}`" for s in report.sections) + ".")
    return "\n".join(lines) + "\n"


def _markdown_table(section: Section, keys: tuple[str, ...]) -> str:
    columns = [section.column(k) for k in keys]
    head = "| " + " | ".join(c.title for c in columns) + " |"
    rule = "|" + "|".join("---" if c.type is ColumnType.text else "---:" for c in columns) + "|"
    body = ["| " + " | ".join(_md(display(row[c.key], c.type)) for c in columns) + " |" for row in section.row_dicts()]
    return "\n".join([head, rule, *body]) if body else "_" + (section.notes[0] if section.notes else "no rows") + "_"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_rows(section: Section) -> list[dict[str, Any]]:
    """A section as the UI's table shows it: counts as numbers, money and shares as readable text."""
    rows = []
    for row in section.row_dicts()[:TABLE_ROWS_LIMIT]:
        rows.append({c.title: (row[c.key] if c.type is ColumnType.count and isinstance(row[c.key], int)
                               else display(row[c.key], c.type)) for c in section.columns})
    return rows


def publish_artifacts(report: MonthlyReport, paths: ReportFiles | None, *,
                      create_markdown: Callable[..., Any] | None = None,
                      create_table: Callable[..., Any] | None = None) -> list[str]:
    """Create the summary and table artifacts (inside a flow run they attach to it); the keys created."""
    if create_markdown is None or create_table is None:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact

        create_markdown = create_markdown or create_markdown_artifact
        create_table = create_table or create_table_artifact
    create_markdown(key=SUMMARY_KEY, markdown=markdown_summary(report, paths),
                    description=f"monthly report {report.month}")
    keys = [SUMMARY_KEY]
    for section in report.sections:
        link = f" — files: [{paths.xlsx.name}]({paths.xlsx.as_uri()}), " \
               f"[{paths.csvs[section.key].name}]({paths.csvs[section.key].as_uri()})" if paths else ""
        more = f" (first {TABLE_ROWS_LIMIT} of {len(section.rows)} rows)" if len(section.rows) > TABLE_ROWS_LIMIT else ""
        create_table(key=section_artifact_key(section), table=table_rows(section),
                     description=f"{section.title}, {report.month}{more}{link}")
        keys.append(section_artifact_key(section))
    return keys
