"""When a task may be retried: transient database trouble yes, a refused rule never."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from models.errors import RetryableError


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except (OperationalError, RetryableError):
        return True
    except Exception:  # noqa: BLE001 - anything else is definite: retrying cannot help
        return False
    return False
