"""The moves of a small state machine (payouts, campaigns) as rows: from, to and the audit
action the move writes. Like the case table (``models.transitions.unique_moves``), a move listed
twice is refused when the module loads; a dict literal would keep the last row without a word."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def move_table(machine: str, *rows: tuple[E, E, str]) -> dict[tuple[E, E], str]:
    table: dict[tuple[E, E], str] = {}
    for frm, to, action in rows:
        if (frm, to) in table:
            raise ValueError(f"the {machine} move {frm.value} → {to.value} is listed twice")
        table[(frm, to)] = action
    return table
