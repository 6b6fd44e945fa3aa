"""Reading claims from a JSON file (one, or a list) or a CSV (one per row, e.g. a hospital's
monthly settlement list). CSV columns are the form's fields; ``documents`` is a list separated by
``;``; the beneficiary's parts are ``beneficiary.name``, ``beneficiary.relation``,
``beneficiary.bank_card``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casetypes.insurance.form import InsuranceClaimForm, parse_claim
from models.errors import FieldProblem
from services.import_files import nest_columns, read_forms


def claim_from_csv_row(raw: dict[str, str], row: int) -> dict[str, Any]:
    data: dict[str, Any] = {k.strip(): v.strip() for k, v in raw.items() if k and v is not None and v.strip() != ""}
    if "documents" in data:
        data["documents"] = [d.strip() for d in data["documents"].split(";") if d.strip()]
    nest_columns(data, ("beneficiary",))
    return data


def read_claims(path: Path) -> tuple[list[tuple[int, InsuranceClaimForm]], list[FieldProblem]]:
    """Every claim of the file, each with its row, and every problem by row and field."""
    return read_forms(path, claim_from_csv_row, parse_claim)
