"""Reading hardship applications from a JSON file (one, or a list) or a CSV (one per row).

CSV columns are the form's fields; list fields are joined with ';' (``causes``,
``documents_provided``), and the household is ``household`` as
``relation:name:monthly income;…`` (e.g. ``self:王建国:600;child:王小明:0``).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from models.errors import FieldProblem, InputError, ValidationFailed
from models.intake import HardshipApplication, parse_application

LIST_FIELDS = ("causes", "documents_provided")


def _household(text: str, row: int) -> list[dict[str, str]]:
    people = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        pieces = part.split(":")
        if len(pieces) != 3:
            raise ValidationFailed([FieldProblem("household", "write each person as relation:name:monthly income", row)])
        people.append({"relation": pieces[0].strip(), "name": pieces[1].strip(), "monthly_income_yuan": pieces[2].strip()})
    return people


def _from_csv_row(raw: dict[str, str], row: int) -> dict[str, Any]:
    data: dict[str, Any] = {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip() != ""}
    for name in LIST_FIELDS:
        if name in data:
            data[name] = [p.strip() for p in data[name].split(";") if p.strip()]
    if "household" in data:
        data["household"] = _household(data["household"], row)
    for flag in ("oral_application", "migrant_worker", "registered_hardship_file"):
        if flag in data:
            data[flag] = data[flag].lower() in ("1", "true", "yes", "y", "是")
    return data


def read_applications(path: Path) -> tuple[list[tuple[int, HardshipApplication]], list[FieldProblem]]:
    if not path.is_file():
        raise InputError("file", "does not exist or is not a file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError("file", f"is not valid JSON (line {exc.lineno})") from None
        raw_rows = list(enumerate(data if isinstance(data, list) else [data], start=1))
    elif path.suffix.lower() == ".csv":
        raw_rows = []
        for row, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
            try:
                raw_rows.append((row, _from_csv_row(raw, row)))
            except ValidationFailed as exc:
                raw_rows.append((row, exc))
    else:
        raise InputError("file", "must end in .json or .csv")
    applications, problems = [], []
    for row, raw in raw_rows:
        if isinstance(raw, ValidationFailed):
            problems.extend(raw.problems)
            continue
        try:
            applications.append((row, parse_application(raw, row=row)))
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    return applications, problems
