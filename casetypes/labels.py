"""Readable run names and tags: ``hardship-HA-2026-000123``, tags ``hardship`` and ``unit:G001``.

Run names come from the case number alone (no database needed when the run is created); tags
are added once the flow has loaded the case, so the UI can filter runs by type and unit.
"""

from __future__ import annotations

import logging

from prefect import get_client
from prefect.runtime import flow_run

from models.enums import CaseType

log = logging.getLogger(__name__)


def case_run_name() -> str:
    parameters = dict(flow_run.parameters or {})
    for value in list(parameters.values()):  # a form model: look inside it
        fields = value if isinstance(value, dict) else getattr(value, "__dict__", None)
        if isinstance(fields, dict) and "case_number" in fields:
            parameters = fields
            break
    case_number = str(parameters.get("case_number", "")).upper()
    try:
        kind = CaseType.from_case_number(case_number).value
    except ValueError:
        kind = "case"
    action = parameters.get("to_status")
    suffix = f"-{getattr(action, 'value', action)}" if action else ""
    return f"{kind}-{case_number}{suffix}"


def tag_current_run(case_type: str, unit: str) -> None:
    """Add case type and unit tags to the running flow run; a failure only costs the tags."""
    run_id = flow_run.id
    if not run_id:
        return
    try:
        with get_client(sync_client=True) as client:
            current = client.read_flow_run(run_id)
            tags = sorted(set(current.tags) | {case_type, f"unit:{unit}"})
            client.update_flow_run(run_id, tags=tags)
    except Exception as exc:  # noqa: BLE001 - labels are a convenience, never a reason to fail a case
        log.warning("could not tag flow run: %s", type(exc).__name__)
