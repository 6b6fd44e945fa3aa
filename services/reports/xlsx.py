"""The finance workbook: one sheet per section, numbers as numbers, yuan formatted ``¥#,##0.00``.

Amounts are written as exact decimals of yuan (``Decimal("1500.01")``, never a float computed from
fen), so the cell holds what the ledger holds. Markers ("no data", "unknown") are text cells. The
header row is frozen and filtered; the section's notes and the period follow the table.
"""

from __future__ import annotations

import unicodedata
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.money import fen_to_yuan
from services.reports.files import atomic_write_bytes
from services.reports.model import Cell, ColumnType, MonthlyReport, Section, display

YUAN_FORMAT = "¥#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
NUMBER_FORMATS = {ColumnType.yuan: YUAN_FORMAT, ColumnType.count: COUNT_FORMAT, ColumnType.percent: PERCENT_FORMAT,
                  ColumnType.date: DATE_FORMAT}
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_MAX_WIDTH = 60


def write_xlsx(report: MonthlyReport, path: Path) -> Path:
    """Write the workbook to ``path`` (replaced whole, never half-written)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in report.sections:
        _write_sheet(workbook.create_sheet(_sheet_title(section)), section, report)
    workbook.properties.title = report.title
    workbook.properties.subject = report.scope_text
    workbook.properties.creator = "unionaid"
    buffer = BytesIO()
    workbook.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def _sheet_title(section: Section) -> str:
    return section.key[:31]  # Excel's limit; keys are lower-case letters, digits and dashes


def _write_sheet(sheet: Worksheet, section: Section, report: MonthlyReport) -> None:
    widths = [_width(column.title) for column in section.columns]
    for at, column in enumerate(section.columns, start=1):
        cell = sheet.cell(row=1, column=at, value=column.title)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    for r, row in enumerate(section.rows, start=2):
        for at, (column, value) in enumerate(zip(section.columns, row, strict=True), start=1):
            cell = sheet.cell(row=r, column=at, value=_excel_value(value, column.type))
            if isinstance(value, str) and column.type is not ColumnType.text:
                cell.alignment = Alignment(horizontal="right")
                cell.font = Font(italic=True, color="666666")
            elif column.type in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[column.type]
            widths[at - 1] = max(widths[at - 1], _width(display(value, column.type)))
    for at, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(at)].width = min(width + 2, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if section.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(section.columns))}{len(section.rows) + 1}"
    below = len(section.rows) + 3
    for offset, note in enumerate((section.title, report.scope_text, *section.notes)):
        sheet.cell(row=below + offset, column=1, value=note).font = Font(italic=True, color="555555",
                                                                         bold=offset == 0)


def _excel_value(value: Cell, kind: ColumnType) -> Cell:
    if kind is ColumnType.yuan and isinstance(value, int):
        return fen_to_yuan(value)
    return value


def _width(text: str) -> int:
    """Display width in Excel's character units: a Chinese character takes about two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
