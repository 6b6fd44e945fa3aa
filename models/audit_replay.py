"""What the audit trail says a case, its obligations and its payouts are, replayed from its
events, and where the stored rows disagree with it.

The trail is append-only, keyed and checkpointed; the rows beside it (``case``, ``payout``,
``obligation``, the ledger) are updated as cases move. A person with the database's owner
rights could edit a row without touching the trail: an approved amount raised after approval, a
ledger posting deleted. Replaying the events gives what each row must hold; every difference is
named by case number, payout reference or posting key (never personal data). Pure: no session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from models.money import format_fen
from models.obligations import Direction
from models.payouts import PAYOUT_TRANSITIONS, PayoutStatus

PAYOUT_ACTIONS = frozenset(PAYOUT_TRANSITIONS.values())
_PAYOUT_STATES = frozenset(s.value for s in PayoutStatus)
# Statuses in which a case holds no reservation any more: what was reserved was paid or given back.
HOLDS_NOTHING = frozenset({"paid", "closed", "rejected", "withdrawn"})


@dataclass(frozen=True)
class TrailEvent:
    seq: int
    action: str
    case_id: int | None
    case_number: str | None
    from_status: str | None
    to_status: str | None
    payload: dict[str, Any]


@dataclass
class PayoutOnTrail:
    amount_fen: int
    status: str
    seq: int  # the event that last moved it


@dataclass
class CaseOnTrail:
    """One case as its events tell it."""

    case_number: str
    status: str | None = None
    approved_fen: int | None = None
    approved_at_seq: int | None = None
    paid_fen: int = 0
    owed: dict[int, int] = field(default_factory=dict)  # outgoing obligation seq -> amount
    payouts: dict[str, PayoutOnTrail] = field(default_factory=dict)  # reference -> what it is


def is_payout_event(event: TrailEvent) -> bool:
    """A payout's own move (its actions share names with case moves, not their statuses)."""
    return event.action in PAYOUT_ACTIONS and event.from_status in _PAYOUT_STATES


def read_trail(events: Iterable[TrailEvent], into: dict[int, CaseOnTrail] | None = None) -> dict[int, CaseOnTrail]:
    """Fold events (in sequence order) into what each case is, by case id."""
    cases = {} if into is None else into
    for event in events:
        if event.case_id is None:
            continue
        case = cases.setdefault(event.case_id, CaseOnTrail(event.case_number or f"#{event.case_id}"))
        payload = event.payload or {}
        if is_payout_event(event):
            reference = str(payload.get("reference", ""))
            amount = int(payload.get("amount_fen", 0))
            case.payouts[reference] = PayoutOnTrail(amount, event.to_status or "", event.seq)
            if event.to_status == PayoutStatus.succeeded.value:
                case.paid_fen += amount
            continue
        if event.action == "obligations_opened":
            case.owed = {int(o["seq"]): int(o["amount_fen"]) for o in payload.get("obligations", [])
                         if o.get("direction") == Direction.outgoing.value}
        if event.to_status is None:
            continue
        case.status = event.to_status
        if event.to_status == "approved" and "approved_fen" in payload:
            case.approved_fen, case.approved_at_seq = int(payload["approved_fen"]), event.seq
        if event.action in ("release_payout", "payout_prepared") and "reference" in payload:
            case.payouts.setdefault(str(payload["reference"]),
                                    PayoutOnTrail(int(payload.get("amount_fen", 0)), "prepared", event.seq))
    return cases


def payout_refusal(case: CaseOnTrail, *, approved_fen: int | None, obligation_seq: int, reference: str,
                   amount_fen: int) -> str | None:
    """Why a payout may not be sent, when its row says what the trail does not; None when the
    approval's event, the obligations opened with it and the payout's own event all agree."""
    where = f"payout {reference} of case {case.case_number}"
    if case.approved_fen is None:
        return f"{where}: the audit trail records no approved amount; nothing is sent"
    if approved_fen != case.approved_fen:
        return (f"{where}: the case row says {format_fen(approved_fen or 0)} approved, the approval's audit event "
                f"(seq {case.approved_at_seq}) {format_fen(case.approved_fen)}; nothing is sent")
    if sum(case.owed.values()) != case.approved_fen:
        return f"{where}: the obligations on the trail do not add up to the approved amount; nothing is sent"
    owed = case.owed.get(obligation_seq)
    if owed != amount_fen:
        return (f"{where}: its row asks {format_fen(amount_fen)}, the trail owes "
                f"{format_fen(owed or 0)} for obligation {obligation_seq}; nothing is sent")
    recorded = case.payouts.get(reference)
    if recorded is not None and recorded.amount_fen != amount_fen:
        return (f"{where}: its row asks {format_fen(amount_fen)}, its audit event (seq {recorded.seq}) "
                f"{format_fen(recorded.amount_fen)}; nothing is sent")
    return None


@dataclass(frozen=True)
class CaseRow:
    id: int
    case_number: str
    status: str
    approved_fen: int | None
    paid_fen: int


@dataclass(frozen=True)
class PayoutRow:
    case_id: int
    reference: str
    amount_fen: int
    status: str


@dataclass(frozen=True)
class ObligationRow:
    case_id: int
    seq: int
    outgoing: bool
    amount_fen: int


@dataclass
class LedgerOfCase:
    paid_fen: int = 0
    reserved_fen: int = 0
    posting_keys: set[str] = field(default_factory=set)


def disagreements(trail: dict[int, CaseOnTrail], cases: Iterable[CaseRow], payouts: Iterable[PayoutRow],
                  obligations: Iterable[ObligationRow], ledger: dict[int, LedgerOfCase]) -> list[str]:
    """Every stored row whose state the trail does not explain, one line each."""
    case_rows = list(cases)
    numbers = {row.id: row.case_number for row in case_rows}
    return (_cases_unexplained(trail, case_rows) + _payouts_unexplained(trail, payouts, numbers)
            + _obligations_unexplained(trail, obligations, numbers) + _ledger_unexplained(trail, ledger))


def _cases_unexplained(trail: dict[int, CaseOnTrail], cases: list[CaseRow]) -> list[str]:
    found = []
    for row in cases:
        told = trail.get(row.id)
        if told is None:
            found.append(f"case {row.case_number}: no event on the trail opened it")
            continue
        if told.status is not None and row.status != told.status:
            found.append(f"case {row.case_number}: status is {row.status}, the trail says {told.status}")
        if told.approved_fen is not None and row.approved_fen != told.approved_fen:
            found.append(f"case {row.case_number}: approved_fen is {row.approved_fen}, the trail approved "
                         f"{told.approved_fen} (seq {told.approved_at_seq})")
        if told.approved_fen is None and row.approved_fen is not None:
            found.append(f"case {row.case_number}: approved_fen is {row.approved_fen}, the trail approved nothing")
        if row.paid_fen != told.paid_fen:
            found.append(f"case {row.case_number}: paid_fen is {row.paid_fen}, its payouts on the trail "
                         f"paid {told.paid_fen}")
    return found


def _payouts_unexplained(trail: dict[int, CaseOnTrail], payouts: Iterable[PayoutRow],
                         numbers: dict[int, str]) -> list[str]:
    found = []
    for row in payouts:
        where = f"payout {row.reference} of case {numbers.get(row.case_id, f'#{row.case_id}')}"
        told_case = trail.get(row.case_id)
        told = told_case.payouts.get(row.reference) if told_case else None
        if told is None:
            found.append(f"{where}: no event on the trail prepared it")
            continue
        if row.amount_fen != told.amount_fen:
            found.append(f"{where}: amount_fen is {row.amount_fen}, the trail says {told.amount_fen}")
        if row.status != told.status:
            found.append(f"{where}: status is {row.status}, the trail says {told.status}")
    return found


def _obligations_unexplained(trail: dict[int, CaseOnTrail], obligations: Iterable[ObligationRow],
                             numbers: dict[int, str]) -> list[str]:
    found = []
    for row in obligations:
        told = trail.get(row.case_id)
        if row.outgoing and told is not None and told.owed.get(row.seq) != row.amount_fen:
            found.append(f"obligation {row.seq} of case {numbers.get(row.case_id, row.case_id)}: amount_fen is "
                         f"{row.amount_fen}, the trail opened it for {told.owed.get(row.seq)}")
    return found


def _ledger_unexplained(trail: dict[int, CaseOnTrail], ledger: dict[int, LedgerOfCase]) -> list[str]:
    found = []
    for case_id, told in trail.items():
        money = ledger.get(case_id, LedgerOfCase())
        for reference, payout in sorted(told.payouts.items()):
            if payout.status == PayoutStatus.succeeded.value and f"pay:{reference}" not in money.posting_keys:
                found.append(f"ledger: posting pay:{reference} is missing; the trail says payout {reference} "
                             f"succeeded (seq {payout.seq})")
        if money.paid_fen != told.paid_fen:
            found.append(f"ledger: case {told.case_number} shows {money.paid_fen} fen paid, the trail paid "
                         f"{told.paid_fen}")
        if told.status in HOLDS_NOTHING and money.reserved_fen != 0:
            found.append(f"ledger: case {told.case_number} still holds {money.reserved_fen} fen reserved; "
                         f"the trail says it is {told.status}")
    return found
