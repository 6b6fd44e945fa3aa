"""What a monthly report is, as data: sections of typed columns and rows, and the charts drawn from them.

Pure: no database, no files. Money is integer fen in every row; a writer turns it into yuan at the
edge (XLSX numbers formatted ``¥#,##0.00``, CSV ``1234.50``, HTML and markdown ``¥1,234.50``).

A cell is ``None`` (nothing to show), a number of the column's type, or one of the two markers
``NO_DATA`` ("no data": the data source does not exist yet, which is not zero) and ``UNKNOWN``
("unknown": the plan does not know the target). Writers show markers as text in any column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from models.money import fen_to_yuan, format_fen

NO_DATA = "no data"
UNKNOWN = "unknown"
MARKERS = frozenset((NO_DATA, UNKNOWN))

Cell = str | int | Decimal | date | None


class ColumnType(StrEnum):
    text = "text"
    # The ignore: mypy checks an enum member named like a str method (str.count) as an override of it.
    count = "count"  # type: ignore[assignment]  # a whole number of things
    yuan = "yuan"  # integer fen in the row, shown as yuan
    percent = "percent"  # a Decimal share, 0.5 = 50 %
    date = "date"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    type: ColumnType = ColumnType.text


@dataclass(frozen=True)
class StackedBars:
    """One horizontal bar per row, split into ``parts`` (columns whose values add up to the whole; the last
    part is what is left, e.g. the remaining budget)."""

    title: str
    label: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Bars:
    """One vertical bar per row: ``value`` against ``label`` (e.g. paid per month)."""

    title: str
    label: str
    value: str
    slots: int | None = None  # draw this many places (e.g. 12 months) even when fewer rows exist yet


@dataclass(frozen=True)
class Progress:
    """One horizontal bar per row: the share in column ``share``, with a marker line (e.g. the year elapsed).
    A row whose share is a marker (no data, unknown target) is drawn as that word."""

    title: str
    label: str
    share: str
    marker: Decimal | None = None
    marker_label: str = ""
    status: str | None = None  # a column whose marker explains a missing share (e.g. the actual: "no data")
    target: str | None = None  # the target column, to say "target unknown" when it is


Chart = StackedBars | Bars | Progress


@dataclass(frozen=True)
class Section:
    """One part of the report: one sheet in the workbook, one CSV file, one table artifact."""

    key: str  # lower-case letters, digits and dashes: used in file names and artifact keys
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    chart: Chart | None = None
    case_type: str | None = None  # set for a section a case type registered

    def __post_init__(self) -> None:
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"section {self.key}: row {number} has {len(row)} cells for {len(self.columns)} columns")

    def index(self, column_key: str) -> int:
        for position, column in enumerate(self.columns):
            if column.key == column_key:
                return position
        raise KeyError(f"section {self.key} has no column {column_key}")

    def column(self, column_key: str) -> Column:
        return self.columns[self.index(column_key)]

    def values(self, column_key: str) -> list[Cell]:
        at = self.index(column_key)
        return [row[at] for row in self.rows]

    def row_dicts(self) -> list[dict[str, Cell]]:
        return [{column.key: cell for column, cell in zip(self.columns, row, strict=True)} for row in self.rows]


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the writers need; no personal data in any of it (case numbers and references only)."""

    month: str
    year: int
    timezone: str
    as_at: datetime  # UTC; every figure counts what happened before this instant
    last_day: date  # the last local day the figures include
    complete: bool  # the month had ended when the report was built
    generated_at: datetime  # UTC
    year_elapsed: Decimal
    plan_title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"the report has no section {key}")

    def has(self, key: str) -> bool:
        return any(section.key == key for section in self.sections)

    @property
    def title(self) -> str:
        return f"月度报告 Monthly report {self.month}"

    @property
    def scope_text(self) -> str:
        state = "complete month" if self.complete else "month in progress"
        return f"figures up to and including {self.last_day.isoformat()} ({self.timezone}; {state})"


def share(part: int, whole: int) -> Decimal | None:
    """``part / whole`` to four places (0.1 % in a percent format), or None when the whole is zero."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def display(cell: Cell, kind: ColumnType) -> str:
    """A cell as people read it (HTML, markdown, table artifacts)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if kind is ColumnType.yuan and isinstance(cell, int):
        return format_fen(cell)
    if kind is ColumnType.percent and isinstance(cell, Decimal):
        return f"{(cell * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
    if kind is ColumnType.count and isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def plain(cell: Cell, kind: ColumnType) -> str:
    """A cell as a machine reads it (CSV): yuan ``1234.50``, shares ``0.5432``, dates ISO, no separators."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if kind is ColumnType.yuan and isinstance(cell, int):
        return str(fen_to_yuan(cell))
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)
