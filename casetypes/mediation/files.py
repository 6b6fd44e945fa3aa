"""Reading mediation applications from a JSON file (one, or a list) or a CSV (one per row).

CSV columns are the form's fields; the parties' parts are columns of their own (``worker.name``,
``worker.resident_id``, ``worker.member_number``, ``employer.name``, ``employer.uscc``,
``employer.address``, ``employer.district``), as are an oral record's (``oral_record.applicant``,
…); the claims are ``claims`` as ``kind:amount:details;…`` (an amount may be empty:
``wages:12600:三个月工资;reinstatement::``). Flags are 1/0, yes/no, true/false or 是.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casetypes.mediation.form import MediationApplication, parse_mediation
from models.errors import FieldProblem, ValidationFailed
from services.import_files import csv_flag, nest_columns, read_forms

FLAGS = ("still_employed", "worker_consents", "oral_application")
NESTED = ("worker", "employer", "oral_record")


def _claims(text: str, row: int) -> list[dict[str, str]]:
    claims = []
    for part in (p.strip() for p in text.split(";") if p.strip()):
        pieces = part.split(":", 2)
        if len(pieces) != 3:
            raise ValidationFailed([FieldProblem("claims", "write each claim as kind:amount:details (amount and "
                                                           "details may be empty)", row)])
        kind, amount, details = (p.strip() for p in pieces)
        claim: dict[str, str] = {"kind": kind, "description": details}
        if amount:
            claim["amount_yuan"] = amount
        claims.append(claim)
    return claims


def _from_csv_row(raw: dict[str, str], row: int) -> dict[str, Any]:
    data: dict[str, Any] = {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip() != ""}
    for flag in FLAGS:
        if flag in data:
            data[flag] = csv_flag(data[flag])
    if "claims" in data:
        data["claims"] = _claims(data["claims"], row)
    nest_columns(data, NESTED)
    if "applicant_confirmed" in data.get("oral_record", {}):
        data["oral_record"]["applicant_confirmed"] = csv_flag(data["oral_record"]["applicant_confirmed"])
    return data


def read_mediation_applications(path: Path) -> tuple[list[tuple[int, MediationApplication]], list[FieldProblem]]:
    """Every application of the file, each with its row, and every problem by row and field."""
    return read_forms(path, _from_csv_row, parse_mediation)
