"""Reading a file a person hands us: the rules every import keeps, whatever it imports.

Refused by name, the value never echoed: a path that is not a file, text that is not UTF-8,
JSON that does not parse (also nested too deep, or a number too long to read), a CSV without a
header or without rows, a header naming a column twice, a row with more values than the header
has columns (a value would be lost).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from models.errors import FieldProblem, InputError, ValidationFailed, field_path

F = TypeVar("F")


def read_text(path: Path, hint: str = "") -> str:
    """The file's text (UTF-8, a byte-order mark allowed)."""
    if not path.is_file():
        raise InputError("file", "does not exist or is not a file")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text" + (f" ({hint})" if hint else "")) from None


def load_json(text: str) -> Any:
    """JSON, or an InputError naming what is wrong with it (never a traceback)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError("file", f"is not valid JSON (line {exc.lineno})") from None
    except RecursionError:
        raise InputError("file", "is JSON nested too deeply to be an application or a member list") from None
    except ValueError:  # e.g. an integer of thousands of digits (Python's limit on reading them)
        raise InputError("file", "holds a number too long to be read") from None


def csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header line, each with its line number; blank lines skipped."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError("file", "is empty")
        names = [name.strip() for name in header]
        for name in names:
            if names.count(name) > 1:
                raise InputError("file", f"column {field_path((name,)) if name else '(blank)'} appears twice in the header")
        rows = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue  # a blank line
            if len(values) > len(names):
                raise InputError("file", f"row {number} has more values than the header has columns")
            rows.append((number, {name: (values[i] if i < len(values) else "") for i, name in enumerate(names)}))
    except csv.Error:
        raise InputError("file", "is not a well-formed CSV file") from None
    if not rows:
        raise InputError("file", "has no rows: nothing to import")
    return rows


def read_forms(path: Path, from_csv_row: Callable[[dict[str, str], int], dict[str, Any]],
               parse: Callable[[Any, int], F]) -> tuple[list[tuple[int, F]], list[FieldProblem]]:
    """Every form of a JSON file (one, or a list) or a CSV file (one per row, each turned into the
    form's shape by ``from_csv_row``), each with its row, and every problem by row and field."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = load_json(text)
        raw_rows: list[tuple[int, Any]] = list(enumerate(data if isinstance(data, list) else [data], start=1))
        if not raw_rows:
            raise InputError("file", "has no rows: nothing to take in")
    elif path.suffix.lower() == ".csv":
        raw_rows = []
        for row, raw in csv_rows(text):
            try:
                raw_rows.append((row, from_csv_row(raw, row)))
            except ValidationFailed as exc:
                raw_rows.append((row, exc))
    else:
        raise InputError("file", "must end in .json or .csv")
    forms, problems = [], []
    for row, raw in raw_rows:
        if isinstance(raw, ValidationFailed):
            problems.extend(raw.problems)
            continue
        try:
            forms.append((row, parse(raw, row)))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    return forms, problems


def csv_flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "y", "是")


def nest_columns(data: dict[str, Any], parts: tuple[str, ...]) -> None:
    """Columns ``part.key`` become ``data[part] = {key: ...}`` (an oral record's, an employer's)."""
    for part in parts:
        nested = {key.removeprefix(f"{part}."): data.pop(key) for key in list(data) if key.startswith(f"{part}.")}
        if nested:
            data[part] = nested


# --- a large CSV, streamed -----------------------------------------------------------------------
# A batch of many thousands of rows is read record by record, never whole: once to check it and
# count its rows, then by each chunk from the byte offset where the chunk starts. The rules are
# those above (UTF-8, a header naming each column once, no row longer than the header, at least
# one row); a value's line breaks inside quotes are kept in its record.


@dataclass(frozen=True)
class Record:
    offset: int  # the byte where the record starts
    line: int  # its first line in the file: the "row" problems name
    values: list[str]


def _raw_records(handle: BinaryIO, line: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, first line, bytes) of each record from the handle's position: a record ends at a
    line end outside quotes (an even count of quote characters so far, as CSV doubles a quote)."""
    offset = handle.tell()
    pending, start, start_line, quotes = b"", offset, line, 0
    for raw in iter(handle.readline, b""):
        if not pending:
            start, start_line = offset, line
        pending += raw
        quotes += raw.count(b'"')
        offset += len(raw)
        line += 1
        if quotes % 2 == 0:
            yield start, start_line, pending
            pending, quotes = b"", 0
    if pending:
        yield start, start_line, pending  # an unclosed quote: the parse below names it


def _values(raw: bytes, *, first: bool = False) -> list[str]:
    try:
        text = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text") from None
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        raise InputError("file", "is not a well-formed CSV file") from None


def csv_header(path: Path) -> list[str]:
    """The header's column names, each once."""
    if not path.is_file():
        raise InputError("file", "does not exist or is not a file")
    with path.open("rb") as handle:
        first = next(_raw_records(handle, 1), None)
    if first is None:
        raise InputError("file", "is empty")
    names = [name.strip() for name in _values(first[2], first=True)]
    for name in names:
        if names.count(name) > 1:
            raise InputError("file", f"column {field_path((name,)) if name else '(blank)'} appears twice in the header")
    return names


def stream_csv(path: Path, *, offset: int | None = None, line: int = 1, limit: int | None = None) -> Iterator[Record]:
    """The records after the header (or from ``offset``, the record starting on ``line``), at most
    ``limit`` of them; blank lines skipped; a file-wide problem raises ``InputError``."""
    names = csv_header(path)
    taken = 0
    with path.open("rb") as handle:
        if offset is None:
            records = _raw_records(handle, 1)
            next(records)  # the header
        else:
            handle.seek(offset)
            records = _raw_records(handle, line)
        for start, first_line, raw in records:
            if limit is not None and taken >= limit:
                return
            values = _values(raw)
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(names):
                raise InputError("file", f"row {first_line} has more values than the header has columns")
            taken += 1
            yield Record(start, first_line, values)


def record_dict(names: list[str], record: Record) -> dict[str, str]:
    return {name: (record.values[i] if i < len(record.values) else "") for i, name in enumerate(names)}
