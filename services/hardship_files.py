"""Reading hardship applications from a JSON file (one, or a list) or a CSV (one per row).

CSV columns are the form's fields; list fields are joined with ';' (``causes``,
``documents_provided``), the household is ``household`` as
``relation:name:monthly income;…`` (e.g. ``self:王建国:600;child:王小明:0``), each person optionally
followed by ``:resident ID:birth date:disability (1/0):employment`` (empty parts may be left out:
``child:王小明:0::2012-05-01:0:student``), and the parts of an
oral record are columns of their own (``oral_record.applicant``, ``oral_record.matter``,
``oral_record.reasons``, ``oral_record.recorded_at``, ``oral_record.recorded_by``,
``oral_record.applicant_confirmed``), as are a sudden event's (``sudden_event.kind``,
``sudden_event.happened_on``); the students of student aid are ``students`` as
``name:school:grade:level;…``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.errors import FieldProblem, ValidationFailed
from models.intake import HardshipApplication, parse_application
from services.import_files import csv_flag, nest_columns, read_forms

LIST_FIELDS = ("causes", "documents_provided")
NESTED = ("oral_record", "sudden_event")


PERSON_PARTS = ("relation", "name", "monthly_income_yuan", "resident_id", "birth_date", "disability", "employment")


def _household(text: str, row: int) -> list[dict[str, object]]:
    people: list[dict[str, object]] = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        pieces = [piece.strip() for piece in part.split(":")]
        if not 3 <= len(pieces) <= len(PERSON_PARTS):
            raise ValidationFailed([FieldProblem("household", "write each person as relation:name:monthly income, "
                                                              "then optionally :resident ID:birth date:disability "
                                                              "(1/0):employment", row)])
        person: dict[str, object] = {k: v for k, v in zip(PERSON_PARTS, pieces, strict=False) if v}
        if "disability" in person:
            person["disability"] = csv_flag(str(person["disability"]))
        people.append(person)
    return people


def _from_csv_row(raw: dict[str, str], row: int) -> dict[str, Any]:
    data: dict[str, Any] = {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip() != ""}
    for name in LIST_FIELDS:
        if name in data:
            data[name] = [p.strip() for p in data[name].split(";") if p.strip()]
    if "household" in data:
        data["household"] = _household(data["household"], row)
    for flag in ("oral_application", "migrant_worker"):
        if flag in data:
            data[flag] = csv_flag(data[flag])
    nest_columns(data, NESTED)  # columns "oral_record.applicant", "sudden_event.kind", ...
    if "applicant_confirmed" in data.get("oral_record", {}):
        data["oral_record"]["applicant_confirmed"] = csv_flag(data["oral_record"]["applicant_confirmed"])
    if "students" in data:
        data["students"] = _students(data["students"], row)
    return data


def _students(text: str, row: int) -> list[dict[str, str]]:
    students = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        pieces = part.split(":")
        if len(pieces) != 4:
            raise ValidationFailed([FieldProblem("students", "write each student as name:school:grade:level", row)])
        students.append(dict(zip(("name", "school", "grade", "level"), (x.strip() for x in pieces), strict=True)))
    return students


def read_applications(path: Path) -> tuple[list[tuple[int, HardshipApplication]], list[FieldProblem]]:
    """Every application of the file, each with its row, and every problem by row and field.
    The file rules of every import apply (``services.import_files``)."""
    return read_forms(path, _from_csv_row, parse_application)
