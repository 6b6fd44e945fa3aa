"""One CSV per section, UTF-8 with a byte-order mark so that Excel opens Chinese text correctly.

Numbers are plain for machines: yuan ``1234.50`` (no sign, no separators), shares ``0.5432``,
dates ``2026-10-31``; the markers "no data" and "unknown" as they are. The header row holds the
bilingual column titles.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from services.reports.files import atomic_write_bytes
from services.reports.model import MonthlyReport, Section, plain


def section_csv(section: Section) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.title for column in section.columns])
    for row in section.rows:
        writer.writerow([plain(cell, column.type) for column, cell in zip(section.columns, row, strict=True)])
    return out.getvalue()


def write_csvs(report: MonthlyReport, directory: Path) -> dict[str, Path]:
    """``<month>-<section>.csv`` for every section, in ``directory``; section key -> path."""
    written = {}
    for section in report.sections:
        path = directory / f"{report.month}-{section.key}.csv"
        written[section.key] = atomic_write_bytes(path, section_csv(section).encode("utf-8-sig"))
    return written
