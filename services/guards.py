"""The guards a move of the transition table may name, and the one check that applies them.

A row of the table (``models.transitions.Transition.guards``) names its guards by key; each
guard reads the database inside the move's own transaction and says why the move may not be
made now, or None. ``services.cases`` checks them after roles and four-eyes, before anything is
written, for every move of every case type; a refusal is a ``GuardRefused`` naming the case,
the move and the guard. A case type registered later adds the guards its moves name with
``register_guard`` (mediation's clock state, insurance's enrolment).

- ``notice_held``: a case of a campaign with a public notice is approved only once the notice
  has ended (``services.notices``).
- ``no_payout_on_its_way``: a decided case is not withdrawn while one of its payouts is on its
  way (prepared, sent, or its outcome unknown): the money could still arrive for a case that
  says it was withdrawn, with its budget already given back.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases import Case
from models.payouts import Payout, PayoutStatus
from models.transitions import Transition
from services.notices import notice_hold

Guard = Callable[[Session, Case], str | None]


def payout_on_its_way(session: Session, case: Case) -> str | None:
    live = session.execute(select(col(Payout.reference)).where(
        col(Payout.case_id) == case.id,
        col(Payout.status).in_((PayoutStatus.prepared, PayoutStatus.submitted, PayoutStatus.unknown)))
        .order_by(col(Payout.id))).scalars().first()
    if live is None:
        return None
    return (f"case {case.case_number} has payout {live} on its way: withdrawing it now could leave money sent for "
            "a withdrawn case; let the payout be resolved first (`unionaid payouts resolve`)")


GUARDS: dict[str, Guard] = {"notice_held": notice_hold, "no_payout_on_its_way": payout_on_its_way}


def register_guard(name: str, guard: Guard) -> None:
    """A guard a type registered later names in its moves; the same guard again changes nothing."""
    if GUARDS.get(name, guard) is not guard:
        raise ValueError(f"guard {name} is registered already")
    GUARDS[name] = guard


def unknown_guards(rows: tuple[Transition, ...]) -> list[str]:
    """The guards these moves name that nobody registered (a table naming them is refused)."""
    return sorted({name for row in rows for name in row.guards if name not in GUARDS})


def guard_refusal(session: Session, case: Case, rule: Transition) -> tuple[str, str] | None:
    """The first of the move's guards that holds it, as (guard, why); None when none does."""
    for name in rule.guards:
        why = GUARDS[name](session, case)
        if why:
            return name, why
    return None
