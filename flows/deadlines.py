"""The ``deadlines`` flow: every day (and by hand), breach the clocks that ran out and publish
what is due and overdue, with the receivables past their day (artifact ``deadlines``). Running it again the same day changes nothing."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from models.time import utcnow
from services import deadline_runs, obligations
from services.masking import install_masking
from services.settings import get_settings
from tasks.retry import retry_on_transient

install_masking()


@task(name="breach-overdue", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def breach_overdue_task(today: date) -> list[deadline_runs.DeadlineLine]:
    return deadline_runs.breach_overdue(today)


@task(name="deadline-overview", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def deadline_overview_task(today: date) -> list[deadline_runs.DeadlineLine]:
    return deadline_runs.deadline_overview(today)


@task(name="receivables-overdue", retries=3, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def receivables_overdue_task(today: date) -> list[obligations.ObligationView]:
    return obligations.overdue_receivables(today)


@flow(name="deadlines", log_prints=False)
def deadlines(on: date | None = None) -> dict[str, int]:
    """Breach the clocks whose last day is before ``on`` (default: today in Asia/Shanghai)."""
    today = on or utcnow().astimezone(get_settings().zone).date()
    breached = breach_overdue_task(today)
    due = deadline_overview_task(today)
    owed = receivables_overdue_task(today)
    create_markdown_artifact(key="deadlines", markdown=deadline_runs.render_markdown(today, breached, due, owed),
                             description=f"clocks breached on {today.isoformat()}, those due soon, receivables overdue")
    get_run_logger().info("deadlines on %s: %d breached, %d due soon or overdue, %d receivables overdue", today,
                          len(breached), len(due), len(owed))
    return {"breached": len(breached), "due": len(due), "receivables_overdue": len(owed)}
