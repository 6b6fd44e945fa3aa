"""Deadlines of cases: opened and met by the case's moves, breached by the ``deadlines`` run.

``on_case_entering`` runs inside the transaction of every move (``services.cases``): the clocks
the new status starts are opened, the open ones it meets are met, together with the move or not
at all. ``breach_overdue`` (``services.deadline_runs``) does the rest once a day.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.cases import Case
from models.clocks import Deadline, DeadlineState, clocks_for
from models.enums import CaseStatus
from services.settings import get_settings


def on_case_entering(session: Session, case: Case, status: CaseStatus, at: datetime,
                     started_on: date | None = None) -> None:
    """Open the clocks ``status`` starts, meet the open ones it meets; in the caller's transaction.
    A clock starts on ``started_on`` when given (the day an application was received), else today."""
    clocks = clocks_for(case.case_type)
    if not clocks:
        return
    started_on = started_on or at.astimezone(get_settings().zone).date()
    known = set(session.execute(select(col(Deadline.kind)).where(col(Deadline.case_id) == case.id)).scalars())
    for clock in clocks:
        if status in clock.starts_on and clock.kind not in known:
            due_on, provisional = clock.due_on_or_provisional(started_on)
            basis = clock.basis + (" (provisional: that year's holidays are not known yet)" if provisional else "")
            session.add(Deadline(case_id=case.id, kind=clock.kind, started_on=started_on,  # type: ignore[arg-type]
                                 due_on=due_on, basis=basis, state=DeadlineState.open, started_at=at))
        elif status in clock.met_on:
            session.execute(update(Deadline)
                            .where(col(Deadline.case_id) == case.id, col(Deadline.kind) == clock.kind,
                                   col(Deadline.state) == DeadlineState.open)
                            .values(state=DeadlineState.met, met_at=at)
                            .execution_options(synchronize_session=False))
