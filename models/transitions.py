"""The case lifecycle as data: every allowed move, who may make it, and the rules it carries.

A move not in the table is refused. Case types add their own moves as rows (here the shared
table hardship and insurance use, or a table of its own from a type's package with
``register_moves``: mediation's is ``casetypes/mediation/moves.py``), never as
``if case_type == ...`` branches elsewhere. Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import CaseStatus as S
from models.enums import CaseType, Role
from models.errors import FourEyesViolation, NoSuchMove, PersonRequired, RoleRequired, SystemOnly, TransitionRefused
from models.identity import SYSTEM_ACTOR as SYSTEM_ACTOR  # re-exported: the flows act as "system"


@dataclass(frozen=True)
class Transition:
    from_status: S
    to_status: S
    action: str
    roles: frozenset[Role]  # the people who may make it by hand; none: the system only
    system: bool = False  # flows, acting as "system", may make this move
    not_by_submitter: bool = False  # four-eyes: whoever submitted the case may not make it
    terminal: bool = False  # the case is finished after it (closed_at is set)
    guards: tuple[str, ...] = ()  # rules read from the database when the move is made (``services.guards``)


def move_rule(frm: S, to: S, action: str, *roles: Role, system: bool = False, four_eyes: bool = False,
              guards: tuple[str, ...] = ()) -> Transition:
    terminal = to in (S.closed, S.withdrawn)
    return Transition(frm, to, action, frozenset(roles), system, four_eyes, terminal, guards)


_CW, _AP, _MD, _FI, _SU = Role.caseworker, Role.approver, Role.mediator, Role.finance, Role.supervisor

SHARED: tuple[Transition, ...] = (
    move_rule(S.submitted, S.verifying, "start_verification", _CW, system=True),
    move_rule(S.verifying, S.needs_information, "request_information", _CW, system=True),
    move_rule(S.needs_information, S.verifying, "information_received", _CW, system=True),
    move_rule(S.verifying, S.awaiting_approval, "verification_passed", system=True),  # the checks, never by hand
    move_rule(S.verifying, S.rejected, "verification_failed", _CW, _AP, system=True),
    move_rule(S.awaiting_approval, S.approved, "approve", _AP, four_eyes=True, guards=("notice_held",)),
    move_rule(S.awaiting_approval, S.rejected, "reject", _AP, four_eyes=True),
    # The money path follows the payout protocol and the provider's answers (services.payouts):
    # no person moves a case into or out of paying by hand.
    move_rule(S.approved, S.payout_pending, "release_payout", system=True),
    move_rule(S.payout_pending, S.paid, "payout_succeeded", system=True),
    move_rule(S.payout_pending, S.approved, "payout_failed", system=True),
    move_rule(S.paid, S.closed, "close", _CW, _SU, system=True),
    move_rule(S.rejected, S.closed, "close", _CW, _SU, system=True),
    *(
        move_rule(frm, S.withdrawn, "withdraw", _CW, _SU)
        for frm in (S.submitted, S.verifying, S.needs_information, S.awaiting_approval)
    ),
    # A decided case is withdrawn only while none of its money is on its way.
    move_rule(S.approved, S.withdrawn, "withdraw", _CW, _SU, guards=("no_payout_on_its_way",)),
)

def unique_moves(rows: tuple[Transition, ...]) -> tuple[Transition, ...]:
    """The rows as given, refused when a move (from, to) is listed twice: the second row would
    otherwise be shadowed by the first without anyone noticing. Checked when the module loads."""
    seen: set[tuple[S, S]] = set()
    for rule in rows:
        move = (rule.from_status, rule.to_status)
        if move in seen:
            raise ValueError(f"the move {rule.from_status.value} → {rule.to_status.value} is listed twice")
        seen.add(move)
    return rows


BY_TYPE: dict[CaseType, tuple[Transition, ...]] = {
    CaseType.hardship: unique_moves(SHARED),
}


def moves_refusal(case_type: CaseType, rows: tuple[Transition, ...]) -> str | None:
    """Why this table cannot be a case type's table of moves (a move listed twice, or another
    table registered for the type already); None when it can."""
    try:
        checked = unique_moves(rows)
    except ValueError as exc:
        return str(exc)
    if BY_TYPE.get(case_type, checked) != checked:
        return f"case type {case_type.value} has a table of moves already"
    return None


def register_moves(case_type: CaseType, rows: tuple[Transition, ...]) -> None:
    """The table of a case type registered later (its package's ``moves``), checked like the
    built-in ones; registering the same table again changes nothing, another table is refused."""
    if why := moves_refusal(case_type, rows):
        raise ValueError(why)
    BY_TYPE[case_type] = rows


def find_transition(case_type: CaseType, from_status: S, to_status: S) -> Transition | None:
    for rule in BY_TYPE.get(case_type, ()):
        if rule.from_status == from_status and rule.to_status == to_status:
            return rule
    return None


def moves_from(case_type: CaseType, from_status: S) -> tuple[Transition, ...]:
    return tuple(rule for rule in BY_TYPE.get(case_type, ()) if rule.from_status == from_status)


Refusal = tuple[type[TransitionRefused], str]


def refusal(
    rule: Transition | None,
    case_type: CaseType,
    from_status: S,
    actor_roles: frozenset[Role] | None,
    actor_is_submitter: bool,
) -> Refusal | None:
    """Why this actor may not make this move, as the error class to raise and its reason; None
    when they may. ``actor_roles`` None means the system (a flow) is acting."""
    if rule is None:
        allowed = ", ".join(sorted({m.to_status.value for m in moves_from(case_type, from_status)}))
        return NoSuchMove, (f"no such move for a {case_type.value} case "
                            f"(from {from_status.value}: {allowed or 'none, it is final'})")
    if actor_roles is None:
        return None if rule.system else (PersonRequired, f"'{rule.action}' must be done by a person, not by the system")
    if not rule.roles:
        return SystemOnly, (f"'{rule.action}' is made by the system only (its checks, the payment provider's "
                            "answer, a clock), never by hand")
    if not (actor_roles & rule.roles):
        needed = " or ".join(sorted(r.value for r in rule.roles))
        return RoleRequired, f"'{rule.action}' needs the role {needed}"
    if rule.not_by_submitter and actor_is_submitter:
        return FourEyesViolation, f"four-eyes rule: the person who submitted the case may not '{rule.action}' it"
    return None


def refusal_reason(
    rule: Transition | None,
    case_type: CaseType,
    from_status: S,
    actor_roles: frozenset[Role] | None,
    actor_is_submitter: bool,
) -> str | None:
    """The reason of ``refusal`` alone: why this actor may not make this move, or None."""
    refused = refusal(rule, case_type, from_status, actor_roles, actor_is_submitter)
    return None if refused is None else refused[1]
