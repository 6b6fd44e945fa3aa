"""Building one month's report: the bounds, one consistent read of the database, every registered section."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from models.errors import InputError
from models.plan import Plan, load_plan
from models.reconciliation import month_bounds
from models.time import utcnow
from services.db import is_postgres, transaction
from services.reconciliation import latest_run
from services.reports.context import ReportContext
from services.reports.model import MonthlyReport
from services.reports.registry import SECTIONS
from services.reports.sections import year_elapsed
from services.settings import get_settings


def build_monthly_report(month: str, *, engine: Engine | None = None, today: date | None = None,
                         plan: Plan | None = None, approval_wait_days: int | None = None) -> MonthlyReport:
    """The report of ``month`` ("2026-10"): pure data, every figure as at the end of the month (or the
    end of ``today`` while the month is in progress). Reads only; writes nothing.

    ``plan``: the targets (default: the file ``settings.plan_file``; a file that cannot be read is
    reported in the targets section, so the money figures still come out). ``approval_wait_days``:
    overrides the limit after which a waiting approval is listed."""
    settings = get_settings()
    zone = settings.zone
    try:
        month_start, month_end = month_bounds(month, zone)
    except ValueError:
        raise InputError("month", "must look like 2026-10 (year and month)") from None
    if approval_wait_days is not None and approval_wait_days < 0:
        raise InputError("approval_wait_days", "must not be negative")
    now = utcnow()
    today = today or now.astimezone(zone).date()
    end_of_today = _local_midnight(today + timedelta(days=1), zone)
    if month_start >= end_of_today:
        raise InputError("month", f"{month} has not begun yet (today is {today.isoformat()})")
    year = int(month[:4])
    plan_problem = ""
    if plan is None:
        try:
            plan = load_plan(settings.plan_file)
        except InputError as exc:
            plan_problem = f"The plan file could not be read: {exc}"
    reconciliation = latest_run(month, engine=engine)  # its own short transaction, before ours opens

    with transaction(engine) as session:
        if is_postgres(session.get_bind()):  # type: ignore[arg-type]
            # One snapshot for every section, and the database's word that the report writes nothing.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
        ctx = ReportContext(session=session, month=month, year=year, zone=zone, today=today,
                            month_start=month_start, month_end=month_end,
                            year_start=_local_midnight(date(year, 1, 1), zone), as_at=min(month_end, end_of_today),
                            plan=plan, plan_problem=plan_problem, reconciliation=reconciliation,
                            approval_wait_days=approval_wait_days, now=now)
        sections = []
        for entry in SECTIONS.values():
            section = entry.build(ctx)
            if section is not None:
                sections.append(section if entry.case_type is None else replace(section, case_type=entry.case_type.value))
        return MonthlyReport(month=month, year=year, timezone=settings.timezone, as_at=ctx.as_at,
                             last_day=ctx.last_day, complete=ctx.complete, generated_at=now,
                             year_elapsed=year_elapsed(ctx), plan_title=plan.title if plan else "",
                             sections=tuple(sections))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
