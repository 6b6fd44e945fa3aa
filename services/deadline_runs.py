"""The daily ``deadlines`` run: breach the clocks that ran out, list what is due and overdue.

A clock is breached on the first day after its last day. Each breach is its own transaction:
the guarded state change (``open`` → ``breached``, so two runs never breach one clock twice),
a ``deadline_breached`` audit event and, when the clock names one, the case's move (for
mediation: referral to arbitration). A case whose status allows no such move keeps its status;
the breach and the reason are recorded and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import col

from models.cases import Case
from models.clocks import Deadline, DeadlineState, clock_named
from models.enums import CaseStatus
from models.money import format_fen
from models.org import Unit
from models.time import utcnow
from models.transitions import SYSTEM_ACTOR, find_transition
from services.audit import append_event
from services.cases import apply_transition, unit_code
from services.db import transaction
from services.obligations import ObligationView


@dataclass(frozen=True)
class DeadlineLine:
    """One clock as the run's artifact shows it: the case number, never the people."""

    case_number: str
    kind: str
    title: str
    due_on: date
    state: DeadlineState
    status: CaseStatus
    moved_to: CaseStatus | None = None
    unit: str = ""  # the unit the case is with (for mediation: its station or the committee)


def breach_overdue(today: date, *, engine: Engine | None = None) -> list[DeadlineLine]:
    """Breach every open clock whose last day is before ``today``; what was breached, in due order."""
    with transaction(engine) as session:
        ids = list(session.execute(select(col(Deadline.id)).where(col(Deadline.state) == DeadlineState.open,
                                                                  col(Deadline.due_on) < today)
                                   .order_by(col(Deadline.due_on), col(Deadline.id))).scalars())
    breached = [line for deadline_id in ids if (line := _breach(deadline_id, today, engine)) is not None]
    return breached


def _breach(deadline_id: int, today: date, engine: Engine | None) -> DeadlineLine | None:
    with transaction(engine) as session:
        deadline = session.get(Deadline, deadline_id)
        if deadline is None:
            return None
        case = session.get(Case, deadline.case_id)
        assert case is not None  # a foreign key
        now = utcnow()
        won = session.execute(update(Deadline)
                              .where(col(Deadline.id) == deadline_id, col(Deadline.state) == DeadlineState.open)
                              .values(state=DeadlineState.breached, breached_at=now)
                              .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if won != 1:
            return None  # met meanwhile, or another run breached it
        clock = clock_named(case.case_type, deadline.kind)
        title = clock.title if clock else deadline.kind
        to = clock.breach_to if clock else None
        rule = find_transition(case.case_type, case.status, to) if to is not None else None
        allowed = rule is not None and rule.system  # the run acts as the system, never as a person
        why = (f"the {deadline.kind} clock ({title}) ran out: its last day was {deadline.due_on.isoformat()}, "
               f"{deadline.basis}")
        if to is not None and rule is None:
            why += f"; a case that is {case.status.value} cannot move to {to.value}, so it stays as it is"
        elif to is not None and not allowed:
            why += f"; only a person may move a case that is {case.status.value} to {to.value}, so it stays as it is"
        append_event(session, actor=SYSTEM_ACTOR, action="deadline_breached", case_id=case.id,
                     case_number=case.case_number, reason=why,
                     payload={"kind": deadline.kind, "due_on": deadline.due_on.isoformat(), "found_on": today.isoformat()})
        status = case.status
        if allowed and to is not None:
            apply_transition(session, case, to, actor=SYSTEM_ACTOR, reason=why)
        return DeadlineLine(case.case_number, deadline.kind, title, deadline.due_on, DeadlineState.breached, status,
                            to if allowed else None, unit_code(session, case.unit_id))


def deadline_overview(today: date, *, within_days: int = 3, engine: Engine | None = None) -> list[DeadlineLine]:
    """Open clocks whose last day is at most ``within_days`` away, and any still open past it."""
    with transaction(engine) as session:
        rows = session.execute(select(Deadline, Case, col(Unit.code)).join(Case, col(Case.id) == Deadline.case_id)
                               .join(Unit, col(Unit.id) == Case.unit_id)
                               .where(col(Deadline.state) == DeadlineState.open,
                                      col(Deadline.due_on) <= today + timedelta(days=within_days))
                               .order_by(col(Unit.code), col(Deadline.due_on), col(Case.case_number),
                                         col(Deadline.kind))).all()
        lines = []
        for deadline, case, unit in rows:
            clock = clock_named(case.case_type, deadline.kind)
            lines.append(DeadlineLine(case.case_number, deadline.kind, clock.title if clock else deadline.kind,
                                      deadline.due_on, deadline.state, case.status, unit=unit))
        return lines


def render_markdown(today: date, breached: list[DeadlineLine], due: list[DeadlineLine],
                    receivables: Sequence[ObligationView] = ()) -> str:
    """The artifact: breached today, then due soon and overdue, each by the unit the case is with
    (a mediation station, the committee), then the receivables past their day; case numbers,
    unit codes and member numbers only."""
    out = [f"# Deadlines on {today.isoformat()}", ""]
    out += _table(f"Breached by this run: {len(breached)}",
                  ("with", "case", "clock", "last day", "status then", "moved to"),
                  [(b.unit, b.case_number, b.title, b.due_on.isoformat(), b.status.value,
                    b.moved_to.value if b.moved_to else "—") for b in sorted(breached, key=lambda b: b.unit)])
    out += _table(f"Open, due within days or overdue: {len(due)}",
                  ("with", "case", "clock", "last day", "days left", "status"),
                  [(d.unit, d.case_number, d.title, d.due_on.isoformat(), str((d.due_on - today).days), d.status.value)
                   for d in due])
    if receivables:
        out += _table(f"Receivables past their day: {len(receivables)}",
                      ("case", "no.", "owed by", "for", "still owed", "due", "days overdue"),
                      [(r.case_number, str(r.seq), f"{r.party.value} {r.party_ref}", r.purpose,
                        format_fen(r.amount_fen - r.settled_fen), r.due_on.isoformat() if r.due_on else "",
                        str((today - r.due_on).days) if r.due_on else "") for r in receivables])
    return "\n".join(out) + "\n"


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = [f"## {title}", ""]
    if rows:
        lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    return lines
