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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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
