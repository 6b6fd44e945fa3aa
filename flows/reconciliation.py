"""Monthly reconciliation: the provider's statement against our payout ledger.

Scheduled at 03:00 on the 1st (Asia/Shanghai) for the previous month; runnable by hand for any
month. The artifacts have stable keys, so the UI shows the history month by month. They carry
references and amounts only, never names or accounts.
"""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from models.money import format_fen
from services import providers, reconciliation
from services.masking import install_masking
from services.settings import get_settings
from tasks.retry import retry_on_transient

install_masking()


def previous_month(today: date) -> str:
    last_day = today.replace(day=1) - timedelta(days=1)
    return f"{last_day.year:04d}-{last_day.month:02d}"


def _month_run_name() -> str:
    from prefect.runtime import flow_run

    return f"reconcile-{(flow_run.parameters or {}).get('month') or 'previous-month'}"


@task(name="reconcile-month", retries=3, retry_delay_seconds=[60, 300, 900], retry_condition_fn=retry_on_transient)
def reconcile_task(month: str) -> reconciliation.RunSummary:
    """The statement comes the next day; a provider not ready yet is retried later."""
    provider = providers.payment()
    try:
        return reconciliation.reconcile_month(month, provider)
    finally:
        provider.close()


@task(name="monthly-report", retries=2, retry_delay_seconds=[60, 300])
def monthly_report_task(month: str) -> str:
    """The month's report (files and artifacts), built after its reconciliation so it shows the result."""
    from services.reports import produce_monthly_report

    produced = produce_monthly_report(month)
    return str(produced.files.html)


@flow(name="reconcile", flow_run_name=_month_run_name, log_prints=False)
def reconcile_flow(month: str | None = None) -> str:
    """Reconcile one month (default: the previous one). Re-running gives the same result or a new
    version that says what changed; nothing is replaced silently."""
    from models.time import utcnow

    month = month or previous_month(utcnow().astimezone(get_settings().zone).date())
    summary = reconcile_task(month)
    items = reconciliation.list_exceptions(month)
    verdict = (f"same result as version {summary.same_as_version}" if summary.same_as_version
               else f"version {summary.version}")
    counts = "\n".join(f"| {name} | {count} |" for name, count in sorted(summary.counts.items()))
    create_markdown_artifact(
        key="reconciliation-summary",
        markdown=(f"# Reconciliation {month} ({verdict})\n\n"
                  f"- statement lines: {summary.statement_lines}; our payouts counted: {summary.payouts_counted}\n"
                  f"- open exceptions: **{summary.open_exceptions}** (critical: **{summary.critical_open}**)\n"
                  f"- signed off by: {summary.signed_off_by or 'not yet'}\n"
                  f"- changes from the previous version: {summary.changes or 'none'}\n\n"
                  f"| class | lines |\n|---|---:|\n{counts}\n"),
        description=f"monthly reconciliation of {month}")
    create_table_artifact(
        key="reconciliation-exceptions",
        table=[{"id": i.id, "class": i.discrepancy, "severity": i.severity.value, "status": i.status.value,
                "reference": i.reference, "ours": format_fen(i.our_amount_fen), "provider": format_fen(i.provider_amount_fen),
                "detail": i.detail} for i in items[:500]],
        description=f"exception items of {month} for finance (first 500)")
    get_run_logger().info("reconciliation %s: %s", month, summary)
    monthly_report_task(month)
    return str(summary)
