"""The Chinese statutory working-day calendar: one module for the whole engine.

Working days are weekdays that are not public holidays, plus the adjusted working Saturdays and
Sundays (调休), as published each year by the State Council and packaged by chinese-calendar. A
date the installed calendar does not cover is refused (``CalendarNotCovered``), never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from models.errors import InputError, RuleViolation


class CalendarNotCovered(RuleViolation):
    """Keeps notice periods lawful: working days are counted only on dates whose statutory
    holidays are known; the State Council publishes each year's calendar in the autumn before."""

    def __init__(self, day: date) -> None:
        super().__init__(f"the statutory holiday calendar for {day.year} is not known to this installation; "
                         "upgrade the chinese-calendar package once the State Council has published it")


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarNotCovered(day) from None


def first_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the next working day."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def notice_end(start: date, working_days: int) -> date:
    """The last day of a notice that starts on ``start`` and lasts ``working_days`` working days.

    ``start`` counts as the first day when it is a working day; otherwise counting starts on the
    next working day. The end is itself a working day and the notice includes it."""
    if working_days < 1:
        raise InputError("working_days", "must be at least 1")
    day = first_working_day(start)
    counted = 1
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_after(received: date, working_days: int) -> date:
    """The last day of a period of ``working_days`` working days counted from the day after
    ``received`` (the day something is received does not count)."""
    if working_days < 1:
        raise InputError("working_days", "must be at least 1")
    return notice_end(received + timedelta(days=1), working_days)


def days_after(received: date, days: int) -> date:
    """The last day of a period of ``days`` calendar days counted from the day after ``received``.
    A period whose last day is a rest day or a statutory holiday ends on the next working day
    (Civil Procedure Law art. 85, which labour arbitration follows)."""
    if days < 1:
        raise InputError("days", "must be at least 1")
    return first_working_day(received + timedelta(days=days))


def provisional_working_days_after(received: date, working_days: int) -> date:
    """``working_days_after`` for a year whose statutory calendar is not known yet: Monday to
    Friday count, no holiday is known and no make-up day. A holiday only moves the true last day
    later, so a duty owed by a deadline (accept within 3 working days) is never late by this
    date; a period owed to someone (a public notice) must not use it."""
    if working_days < 1:
        raise InputError("working_days", "must be at least 1")
    day, counted = received, 0
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return day
