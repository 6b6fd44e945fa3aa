"""``audit verify --deep``: the trail replayed against the case, payout, obligation and ledger
rows, naming every row whose state it does not explain; and the check made before any payout
is sent, that the amount is the one the approval's audit event recorded.

The rules are pure (``models.audit_replay``); this module reads the rows for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.audit import AuditEvent
from models.audit_replay import (
    CaseOnTrail,
    CaseRow,
    LedgerOfCase,
    ObligationRow,
    PayoutRow,
    TrailEvent,
    disagreements,
    payout_refusal,
    read_trail,
)
from models.cases import Case
from models.errors import RecordDisagrees
from models.ledger import LedgerLine, LedgerPosting
from models.obligations import Direction, Obligation
from models.payouts import Payout
from services.audit import events_in_order


def _as_trail_event(event: AuditEvent) -> TrailEvent:
    return TrailEvent(event.seq, event.action, event.case_id, event.case_number, event.from_status, event.to_status,
                      event.payload)


def case_on_trail(session: Session, case: Case) -> CaseOnTrail:
    """One case as its own events tell it."""
    events = session.execute(select(AuditEvent).where(col(AuditEvent.case_id) == case.id)
                             .order_by(col(AuditEvent.seq))).scalars()
    return read_trail(map(_as_trail_event, events)).get(case.id, CaseOnTrail(case.case_number))  # type: ignore[arg-type]


def check_payout(session: Session, payout: Payout, case: Case) -> None:
    """Keeps money to the trail: a payout is sent only for the amount the approval's audit event
    recorded, owed by the obligation opened with it. ``RecordDisagrees`` otherwise."""
    obligation = session.get(Obligation, payout.obligation_id)
    why = payout_refusal(case_on_trail(session, case), approved_fen=case.approved_fen,
                         obligation_seq=obligation.seq if obligation else 0, reference=payout.reference,
                         amount_fen=payout.amount_fen)
    if why is not None:
        raise RecordDisagrees(why)


@dataclass(frozen=True)
class ReplayReport:
    events: int
    cases: int
    payouts: int
    disagreements: list[str]

    @property
    def explained(self) -> bool:
        return not self.disagreements

    def __str__(self) -> str:
        head = f"{self.events} events replayed against {self.cases} cases and {self.payouts} payouts"
        if self.explained:
            return f"{head}: every row is what the trail says"
        return "\n".join([f"{head}: {len(self.disagreements)} row(s) the trail does not explain"]
                         + [f"  - {line}" for line in self.disagreements])


def _ledger_by_case(session: Session) -> dict[int, LedgerOfCase]:
    ledger: dict[int, LedgerOfCase] = {}
    sums = session.execute(
        select(col(LedgerLine.case_id), col(LedgerLine.account), func.sum(LedgerLine.amount_fen))
        .join(LedgerPosting, col(LedgerPosting.id) == LedgerLine.posting_id)
        .where(col(LedgerPosting.sealed).is_(True), col(LedgerLine.case_id).is_not(None))
        .group_by(col(LedgerLine.case_id), col(LedgerLine.account)))
    for case_id, account, amount in sums:
        money = ledger.setdefault(case_id, LedgerOfCase())
        if account.endswith("/paid"):
            money.paid_fen += int(amount)
        elif account.endswith("/reserved"):
            money.reserved_fen += int(amount)
    keys = session.execute(select(col(LedgerPosting.case_id), col(LedgerPosting.idempotency_key))
                           .where(col(LedgerPosting.sealed).is_(True), col(LedgerPosting.kind) == "pay"))
    for case_id, key in keys:
        if case_id is not None:
            ledger.setdefault(case_id, LedgerOfCase()).posting_keys.add(key)
    return ledger


def replay(session: Session, batch_size: int = 2000) -> ReplayReport:
    """Replay every event in order and compare with every case, payout, outgoing obligation and
    the ledger's paid and reserved balances per case."""
    trail: dict[int, CaseOnTrail] = {}
    events = 0
    for event in events_in_order(session, batch_size):
        read_trail([_as_trail_event(event)], into=trail)
        events += 1
    cases = [CaseRow(id_, number, getattr(status, "value", status), approved, paid)
             for id_, number, status, approved, paid in session.execute(
                 select(col(Case.id), col(Case.case_number), col(Case.status), col(Case.approved_fen),
                        col(Case.paid_fen)).order_by(col(Case.id)))]
    payouts = [PayoutRow(case_id, reference, amount, getattr(status, "value", status))
               for case_id, reference, amount, status in session.execute(
                   select(col(Payout.case_id), col(Payout.reference), col(Payout.amount_fen), col(Payout.status))
                   .order_by(col(Payout.id)))]
    obligations = [ObligationRow(case_id, seq, direction == Direction.outgoing, amount)
                   for case_id, seq, direction, amount in session.execute(
                       select(col(Obligation.case_id), col(Obligation.seq), col(Obligation.direction),
                              col(Obligation.amount_fen)).order_by(col(Obligation.id)))]
    found = disagreements(trail, cases, payouts, obligations, _ledger_by_case(session))
    return ReplayReport(events, len(cases), len(payouts), found)
