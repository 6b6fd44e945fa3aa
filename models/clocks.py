"""Clocks: the deadlines the law or the policy sets a case, as data, and their records.

A clock row says, for one case type, what starts the clock (the case entering a status), how
long it runs (working days on the statutory calendar, or calendar days), which statuses meet it
and what happens when it runs out (``breach_to``: the move the engine makes, or none, when the
breach is only reported). When a case enters a status, its clocks are opened and met in the same
transaction as the move (``services.deadlines``); the ``deadlines`` run breaches the overdue ones.

A clock is due at the end of its last day (Asia/Shanghai); the day it starts does not count. It
is breached on the first day after that. Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.columns import timestamp_field as _ts
from models.enums import CaseStatus as S
from models.enums import CaseType
from models.working_days import (
    CalendarNotCovered,
    days_after,
    provisional_working_days_after,
    working_days_after,
)


class CountedIn(StrEnum):
    working_days = "working_days"
    days = "days"


class DeadlineState(StrEnum):
    open = "open"
    met = "met"
    breached = "breached"


@dataclass(frozen=True)
class Clock:
    case_type: CaseType
    kind: str
    title: str
    length: int
    counted_in: CountedIn
    starts_on: frozenset[S]
    met_on: frozenset[S]
    breach_to: S | None = None

    def due_on(self, started: date) -> date:
        if self.counted_in == CountedIn.working_days:
            return working_days_after(started, self.length)
        return days_after(started, self.length)

    def due_on_or_provisional(self, started: date) -> tuple[date, bool]:
        """The last day, and whether it is provisional: counted without the holidays of a year
        whose statutory calendar this installation does not know yet (``CalendarNotCovered``).
        A clock is a duty of ours, so its provisional last day is the earliest it can be: Monday
        to Friday for working days, no move off a rest day for calendar days. An application is
        never refused because a later year's calendar is not published yet."""
        try:
            return self.due_on(started), False
        except CalendarNotCovered:
            if self.counted_in == CountedIn.working_days:
                return provisional_working_days_after(started, self.length), True
            return started + timedelta(days=self.length), True

    @property
    def basis(self) -> str:
        unit = "working days on the statutory calendar" if self.counted_in == CountedIn.working_days else "days"
        return f"{self.length} {unit} from the day after it started"


# The clocks of the types built into the engine; a type's package registers its own (mediation's
# are in ``casetypes/mediation/moves.py``).
CLOCKS: tuple[Clock, ...] = ()


_REGISTERED: dict[CaseType, tuple[Clock, ...]] = {}


def clocks_refusal(case_type: CaseType, clocks: tuple[Clock, ...]) -> str | None:
    """Why these cannot be a case type's clocks (one of another type, a kind named twice, or
    clocks the type has already); None when they can."""
    if any(c.case_type != case_type for c in clocks):
        return f"a clock registered for {case_type.value} is of another case type"
    if len({c.kind for c in clocks}) != len(clocks):
        return f"case type {case_type.value} names a clock kind twice"
    if any(c.case_type == case_type for c in CLOCKS) or _REGISTERED.get(case_type, clocks) != clocks:
        return f"case type {case_type.value} has its clocks already"
    return None


def register_clocks(case_type: CaseType, clocks: tuple[Clock, ...]) -> None:
    """The clocks of a case type registered later (its package's ``clocks``). Each is of that
    type, its kinds are distinct, and a type has one set: the same set again changes nothing."""
    if why := clocks_refusal(case_type, clocks):
        raise ValueError(why)
    _REGISTERED[case_type] = clocks


def every_clock() -> tuple[Clock, ...]:
    return CLOCKS + tuple(clock for clocks in _REGISTERED.values() for clock in clocks)


def clocks_for(case_type: CaseType, clocks: tuple[Clock, ...] | None = None) -> tuple[Clock, ...]:
    return tuple(c for c in (every_clock() if clocks is None else clocks) if c.case_type == case_type)


def clock_named(case_type: CaseType, kind: str, clocks: tuple[Clock, ...] | None = None) -> Clock | None:
    return next((c for c in clocks_for(case_type, clocks) if c.kind == kind), None)


class Deadline(SQLModel, table=True):
    """One clock of one case: when it started, its last day, how that was computed, its state."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_deadline_case_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=40)
    started_on: date
    due_on: date = Field(index=True)
    basis: str = Field(max_length=120)
    state: DeadlineState = enum_field(DeadlineState, index=True)
    started_at: datetime = _ts()
    met_at: datetime | None = _ts(nullable=True)
    breached_at: datetime | None = _ts(nullable=True)
