"""Insurance's table of moves: the shared lifecycle, and the system's own approval of a claim the
review lets through (calculated at most the automatic limit and not drawn for the sample)."""

from __future__ import annotations

from models.enums import CaseStatus as S
from models.transitions import SHARED, Transition, move_rule, unique_moves

MOVES: tuple[Transition, ...] = unique_moves((
    *SHARED,
    move_rule(S.verifying, S.approved, "approve_automatically", system=True),
))
