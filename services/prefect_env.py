"""The Prefect settings unionaid sets on purpose (see docs/operations.md for why each)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import PREFECT_API_URL, temporary_settings

from services.settings import Settings, get_settings


def prefect_env(settings: Settings | None = None) -> dict[str, str]:
    s = settings or get_settings()
    return {
        "PREFECT_HOME": str(s.prefect_home),
        "PREFECT_API_URL": s.prefect_api_url,
        # The UI asks the API at this address; without it a non-default port breaks the UI.
        "PREFECT_UI_API_URL": s.prefect_api_url,
        # Offline machines: no telemetry attempts, no error noise in the logs.
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # Staff wait on runs they start from the UI: pick them up within ~2 s, not 10.
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        # First start on a fresh home migrates Prefect's own database; give it time.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        # Flow parameters, results and logs stay in our database, not on Prefect's disk.
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    }


def apply_prefect_env(settings: Settings | None = None) -> None:
    """Set them for this process and its children, keeping anything the operator set."""
    for key, value in prefect_env(settings).items():
        os.environ.setdefault(key, value)


@contextmanager
def our_prefect_server(settings: Settings | None = None) -> Iterator[None]:
    """Talk to the Prefect server `unionaid up` runs, unless a Prefect API is configured already.

    Without this, a CLI command in another shell would get Prefect's own in-process server and
    never reach the run that waits for a case.
    """
    if PREFECT_API_URL.value():
        yield
        return
    with temporary_settings({PREFECT_API_URL: (settings or get_settings()).prefect_api_url}):
        yield
