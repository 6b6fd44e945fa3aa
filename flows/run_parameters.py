"""What a run keeps of what a person typed: no one-time code, whatever happens next."""

from __future__ import annotations

from typing import Any

from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext

CODE_FIELD = "one_time_code"


def without_codes(value: Any) -> Any:
    """``value`` with every ``one_time_code`` taken out, at any depth."""
    if isinstance(value, dict):
        return {key: without_codes(item) for key, item in value.items() if key != CODE_FIELD}
    if isinstance(value, list):
        return [without_codes(item) for item in value]
    return value


def forget_codes(parameters: dict[str, Any]) -> None:
    """Replace this run's parameters with ``parameters`` (as JSON) without any one-time code.
    Called first thing by every flow whose form asks for a code."""
    context = FlowRunContext.get()
    if context and context.flow_run:
        with get_client(sync_client=True) as client:
            client.update_flow_run(context.flow_run.id, parameters=without_codes(parameters))
