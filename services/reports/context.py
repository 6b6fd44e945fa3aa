"""What every section builder reads: the month's bounds, one database session, and the facts read once.

Every figure is "as at" one instant, ``as_at``: the end of the month, or the end of today for the
month in progress. The ledger is append-only and every posting is dated, so money as at the end
of a month never changes afterwards. Case and payout statuses as at that instant are read back
from the audit trail, which records every status change in the same transaction as the change:
a report of a past month shows the cases as they stood then, not as they stand now.

Which audit events are status changes, without trusting action names (``payout_succeeded`` names
both a case move and a payout move): a case event is ``submit`` or a (from, to) pair of the
transition table for the case's type; a payout event is a pair of ``PAYOUT_TRANSITIONS``. The two
sets of pairs share no status, so an event is never read as both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.audit import AuditEvent
from models.cases import Approval, Case, Programme
from models.enums import CaseStatus, CaseType, Decision
from models.ledger import Accounts, LedgerLine, LedgerPosting
from models.org import Unit
from models.payouts import OPEN_STATUSES, PAYOUT_TRANSITIONS, Payout, PayoutStatus
from models.plan import Plan
from models.time import as_utc
from models.transitions import BY_TYPE, find_transition
from services.reconciliation import RunSummary

FINISHED = frozenset(rule.to_status for rules in BY_TYPE.values() for rule in rules if rule.terminal)
"""Statuses after which a case is finished (closed or withdrawn): the lifecycle's own definition."""

_PAYOUT_PAIRS = frozenset((frm.value, to.value) for frm, to in PAYOUT_TRANSITIONS)
_PAYOUT_ACTIONS = frozenset(PAYOUT_TRANSITIONS.values())


@dataclass(frozen=True)
class CaseFacts:
    """What the report may know of a case: no applicant, no amounts asked, no reasons."""

    id: int
    case_number: str
    case_type: CaseType
    category: str
    unit_code: str
    submitted_at: datetime


@dataclass(frozen=True)
class CaseState:
    status: CaseStatus
    since: datetime


@dataclass(frozen=True)
class PayoutState:
    reference: str
    case_number: str
    amount_fen: int
    status: PayoutStatus
    since: datetime


@dataclass(frozen=True)
class PaidLine:
    """Money reaching a programme's ``paid`` account: one payout settled (or, negative, reversed)."""

    posted_at: datetime  # UTC
    amount_fen: int
    programme_id: int
    case_id: int | None


@dataclass
class ReportContext:
    session: Session
    month: str
    year: int
    zone: ZoneInfo
    today: date
    month_start: datetime  # UTC
    month_end: datetime  # UTC, exclusive
    year_start: datetime  # UTC
    as_at: datetime  # UTC, exclusive: min(month_end, the end of today)
    plan: Plan | None
    plan_problem: str
    reconciliation: RunSummary | None
    approval_wait_days: int | None  # an override from the caller; else per case type or the default
    now: datetime  # UTC, when the report is built

    @property
    def age_reference(self) -> datetime:
        """The instant ages and waits are measured to: the end of the month, or now in the month in progress."""
        return min(self.as_at, self.now)

    def days_since(self, moment: datetime) -> int:
        return max(0, (self.age_reference - moment) // timedelta(days=1))

    @property
    def complete(self) -> bool:
        return self.as_at >= self.month_end

    @property
    def last_day(self) -> date:
        return (self.as_at - timedelta(microseconds=1)).astimezone(self.zone).date()

    def local(self, moment: datetime) -> datetime:
        return as_utc(moment).astimezone(self.zone)

    # --- money ----------------------------------------------------------------------------------

    @cached_property
    def programmes(self) -> list[Programme]:
        return list(self.session.execute(
            select(Programme).order_by(col(Programme.year), col(Programme.code))
        ).scalars())

    @cached_property
    def balances(self) -> dict[str, int]:
        """Every account's balance as at ``as_at``: sealed postings dated before it."""
        query = (select(col(LedgerLine.account), col(LedgerLine.amount_fen))
                 .join(LedgerPosting, col(LedgerPosting.id) == LedgerLine.posting_id)
                 .where(col(LedgerPosting.sealed).is_(True), col(LedgerPosting.posted_at) < self.as_at))
        totals: dict[str, int] = {}
        for account, amount in self.session.execute(query):
            totals[account] = totals.get(account, 0) + int(amount)
        return totals

    @cached_property
    def paid_lines(self) -> list[PaidLine]:
        """Lines on any programme's ``paid`` account dated in the year up to ``as_at``."""
        paid_accounts = {Accounts(p.code, p.year).paid: p.id for p in self.programmes}
        if not paid_accounts:
            return []
        query = (select(col(LedgerPosting.posted_at), col(LedgerLine.amount_fen), col(LedgerLine.account),
                        col(LedgerLine.case_id))
                 .join(LedgerPosting, col(LedgerPosting.id) == LedgerLine.posting_id)
                 .where(col(LedgerPosting.sealed).is_(True), col(LedgerLine.account).in_(paid_accounts),
                        col(LedgerPosting.posted_at) >= self.year_start, col(LedgerPosting.posted_at) < self.as_at)
                 .order_by(col(LedgerPosting.id)))
        return [PaidLine(as_utc(posted_at), int(amount), paid_accounts[account], case_id)  # type: ignore[arg-type]
                for posted_at, amount, account, case_id in self.session.execute(query)]

    def in_month(self, moment: datetime) -> bool:
        return self.month_start <= moment < self.as_at

    # --- cases and payouts ------------------------------------------------------------------------

    @cached_property
    def cases(self) -> dict[int, CaseFacts]:
        query = (select(col(Case.id), col(Case.case_number), col(Case.case_type), col(Case.category), col(Unit.code),
                        col(Case.submitted_at))
                 .join(Unit, col(Unit.id) == Case.unit_id)
                 .where(col(Case.submitted_at) < self.as_at))
        return {row[0]: CaseFacts(row[0], row[1], CaseType(row[2]), row[3], row[4], as_utc(row[5]))
                for row in self.session.execute(query)}

    def _status_events(self) -> Iterator[tuple[int, str, str | None, str, datetime, dict]]:
        query = (select(col(AuditEvent.case_id), col(AuditEvent.action), col(AuditEvent.from_status),
                        col(AuditEvent.to_status), col(AuditEvent.occurred_at), col(AuditEvent.payload))
                 .where(col(AuditEvent.case_id).is_not(None), col(AuditEvent.to_status).is_not(None),
                        col(AuditEvent.occurred_at) < self.as_at)
                 .order_by(col(AuditEvent.seq)))
        for case_id, action, frm, to, occurred_at, payload in self.session.execute(query):
            yield case_id, action, frm, to, as_utc(occurred_at), payload or {}

    @cached_property
    def _states(self) -> tuple[dict[int, CaseState], dict[str, tuple[PayoutStatus, datetime]]]:
        cases: dict[int, CaseState] = {}
        payouts: dict[str, tuple[PayoutStatus, datetime]] = {}
        for case_id, action, frm, to, occurred_at, payload in self._status_events():
            facts = self.cases.get(case_id)
            if facts is None:
                continue
            if (frm, to) in _PAYOUT_PAIRS and action in _PAYOUT_ACTIONS:
                reference = payload.get("reference")
                earlier = payouts.get(reference) if isinstance(reference, str) else None
                if isinstance(reference, str) and (earlier is None or earlier[0].value != to):
                    payouts[reference] = (PayoutStatus(to), occurred_at)
                continue
            if _is_case_move(facts.case_type, action, frm, to):
                earlier_state = cases.get(case_id)
                if earlier_state is None or earlier_state.status.value != to:
                    cases[case_id] = CaseState(CaseStatus(to), occurred_at)
        return cases, payouts

    @property
    def case_states(self) -> dict[int, CaseState]:
        """Each case's status as at ``as_at``, and since when it has held it."""
        return self._states[0]

    @cached_property
    def payout_states(self) -> list[PayoutState]:
        """Each payout that existed at ``as_at``, with its status then (prepared until its first move)."""
        query = (select(col(Payout.reference), col(Payout.case_id), col(Payout.amount_fen), col(Payout.created_at))
                 .where(col(Payout.created_at) < self.as_at).order_by(col(Payout.reference)))
        moved = self._states[1]
        states = []
        for reference, case_id, amount_fen, created_at in self.session.execute(query):
            facts = self.cases.get(case_id)
            status, since = moved.get(reference, (PayoutStatus.prepared, as_utc(created_at)))
            states.append(PayoutState(reference, facts.case_number if facts else "?", int(amount_fen), status, since))
        return states

    def open_payouts(self) -> list[PayoutState]:
        return [p for p in self.payout_states if p.status in OPEN_STATUSES]

    @cached_property
    def approvals_recorded(self) -> dict[int, int]:
        """Per case, the approve decisions recorded before ``as_at`` (a second approver may be awaited)."""
        query = (select(col(Approval.case_id)).where(col(Approval.decision) == Decision.approve,
                                                     col(Approval.decided_at) < self.as_at))
        counts: dict[int, int] = {}
        for (case_id,) in self.session.execute(query):
            counts[case_id] = counts.get(case_id, 0) + 1
        return counts


def _is_case_move(case_type: CaseType, action: str, frm: str | None, to: str) -> bool:
    try:
        to_status = CaseStatus(to)
        if frm is None:
            return action == "submit" and to_status is CaseStatus.submitted
        return find_transition(case_type, CaseStatus(frm), to_status) is not None
    except ValueError:
        return False
