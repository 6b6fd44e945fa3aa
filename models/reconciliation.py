"""Monthly reconciliation: our payout ledger against the payment provider's statement (对账单).

The matching core here is pure (no session, no files): it takes two streams **sorted by
reference** and merge-joins them, so it holds one reference's records at a time however long the
month is. The service (``services.reconciliation``) does the I/O: it stages the statement, sorts
both sides in the database and stores what this module finds.

Every reference on either side ends in exactly one outcome:

    matched           same amount, and the same status once ours is put in the provider's words
    amount_mismatch   the provider moved another amount than we recorded
    status_mismatch   e.g. we say succeeded and the provider says failed
    provider_only     the provider lists a transfer we have no payout for
    ours_only         we recorded a payout as succeeded and the provider does not list it
    duplicate         a reference appears more than once on a side (the other checks are moot)

Amount and status can both be wrong for one reference: that is two discrepancies, two items for
finance. Two outcomes are counted but are not discrepancies: a payout of ours that never paid
(prepared, submitted, unknown, failed) and is absent at the provider (``unpaid_not_at_provider``),
and a payout outside the month that no statement line names (``other_month``).

Rules kept:
- Unsorted input is refused (``UnsortedInput``), never mis-matched.
- The outcome does not depend on input order: within one reference the provider's lines are put
  in a canonical order before anything is read from them.
- A discrepancy's fingerprint (SHA-256 of its canonical text) identifies it across versions; the
  result digest covers the discrepancies in the order ``match_statement`` yields them plus the
  count of every outcome, so two runs with the same digest found the same thing.
- Severity is ``critical`` when money may have left that our ledger does not show: a line we do
  not know that is not failed, a reference listed with more than one line that is not failed, a
  larger amount paid than we recorded, or a transfer the provider paid that we hold as failed.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.money import fen_to_yuan
from models.time import utcnow


class DiscrepancyClass(StrEnum):
    matched = "matched"
    amount_mismatch = "amount_mismatch"
    status_mismatch = "status_mismatch"
    provider_only = "provider_only"
    ours_only = "ours_only"
    duplicate = "duplicate"


DISCREPANCY_CLASSES = tuple(c for c in DiscrepancyClass if c is not DiscrepancyClass.matched)
_CLASS_ORDER = {c: i for i, c in enumerate(DiscrepancyClass)}
# Counted, never an exception: ours never paid and the provider agrees; outside the month and unnamed.
UNPAID_NOT_AT_PROVIDER = "unpaid_not_at_provider"
OTHER_MONTH = "other_month"


class Severity(StrEnum):
    critical = "critical"
    normal = "normal"


class ExceptionStatus(StrEnum):
    open = "open"
    resolved = "resolved"


# Our payout statuses in the provider's words: anything not final is "processing" to them.
PROVIDER_VIEW = {
    "succeeded": "succeeded",
    "failed": "failed",
    "prepared": "processing",
    "submitted": "processing",
    "unknown": "processing",
}


class OurSide(Protocol):
    """One payout of ours: a ``Payout`` query row or an ``OurRecord``."""

    @property
    def reference(self) -> str: ...
    @property
    def amount_fen(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def in_month(self) -> bool: ...


class ProviderSide(Protocol):
    """One statement line: a ``StatementLine``, a staged row or a ``ProviderRecord``."""

    @property
    def reference(self) -> str: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def amount_fen(self) -> int: ...
    @property
    def time(self) -> Any: ...


class OurRecord(NamedTuple):
    reference: str
    amount_fen: int
    status: str
    in_month: bool = True


class ProviderRecord(NamedTuple):
    reference: str
    provider_id: str
    status: str
    amount_fen: int
    time: str = ""


class UnsortedInput(ValueError):
    """Keeps the merge join honest: both sides must come sorted by reference."""

    def __init__(self, side: str, before: str, after: str) -> None:
        super().__init__(f"{side} records are not sorted by reference: {after!r} came after {before!r}")


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One thing finance must look at, as found; ``fingerprint`` names it across versions."""

    discrepancy: DiscrepancyClass
    reference: str
    our_amount_fen: int | None = None
    provider_amount_fen: int | None = None
    our_status: str | None = None
    provider_status: str | None = None
    provider_id: str | None = None
    provider_time: str | None = None
    our_count: int = 0
    provider_count: int = 0
    detail: str = ""
    severity: Severity = Severity.normal

    def canonical(self) -> str:
        return json.dumps([self.discrepancy.value, self.reference, self.our_amount_fen, self.provider_amount_fen,
                           self.our_status, self.provider_status, self.provider_id, self.provider_time,
                           self.our_count, self.provider_count, self.detail, self.severity.value],
                          separators=(",", ":"), ensure_ascii=False)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


def severity_of(discrepancy: DiscrepancyClass, our_amount_fen: int | None, provider_amount_fen: int | None,
                our_status: str | None, provider_status: str | None, provider_lines_not_failed: int = 0) -> Severity:
    """Critical when money may have left that our ledger does not show (see the module rules)."""
    C = DiscrepancyClass
    critical = (
        (discrepancy == C.provider_only and provider_status != "failed")
        or (discrepancy == C.duplicate and provider_lines_not_failed > 1)
        or (discrepancy == C.amount_mismatch and provider_status == "succeeded"
            and (provider_amount_fen or 0) > (our_amount_fen or 0))
        or (discrepancy == C.status_mismatch and provider_status == "succeeded" and our_status == "failed")
    )
    return Severity.critical if critical else Severity.normal


# --- the merge join ----------------------------------------------------------------------------


def _groups(records: Iterable[Any], side: str) -> Iterator[tuple[str, list[Any]]]:
    """Consecutive records with the same reference, refusing a step backwards."""
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        return
    reference, group = first.reference, [first]
    for record in iterator:
        current = record.reference
        if current == reference:
            group.append(record)
            continue
        if current < reference:
            raise UnsortedInput(side, reference, current)
        yield reference, group
        reference, group = current, [record]
    yield reference, group


def merge_join(ours: Iterable[OurSide], provider: Iterable[ProviderSide]
               ) -> Iterator[tuple[str, list[OurSide], list[ProviderSide]]]:
    """(reference, our records, provider records) for every reference on either side, in order."""
    our_groups, provider_groups = _groups(ours, "our"), _groups(provider, "provider")
    o, p = next(our_groups, None), next(provider_groups, None)
    while o is not None or p is not None:
        if p is None or (o is not None and o[0] < p[0]):
            assert o is not None
            yield o[0], o[1], []
            o = next(our_groups, None)
        elif o is None or p[0] < o[0]:
            yield p[0], [], p[1]
            p = next(provider_groups, None)
        else:
            yield o[0], o[1], p[1]
            o, p = next(our_groups, None), next(provider_groups, None)


def _time_text(value: Any) -> str:
    """An instant as UTC ISO text, however it was written, so the digest does not depend on it."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(UTC).isoformat() if moment.tzinfo else moment.isoformat()


def _line_order(line: ProviderSide) -> tuple[str, str, int, str]:
    return (line.provider_id, line.status, line.amount_fen, _time_text(line.time))


def classify(reference: str, ours: Sequence[OurSide], provider: Sequence[ProviderSide],
             tally: Counter[str]) -> list[Discrepancy]:
    """The outcome for one reference: the discrepancies found (none when matched), counted in ``tally``."""
    C = DiscrepancyClass
    if len(ours) == 1 and len(provider) == 1:
        mine, theirs = ours[0], provider[0]
        amount_differs = mine.amount_fen != theirs.amount_fen
        status_differs = PROVIDER_VIEW.get(mine.status) != theirs.status
        if not (amount_differs or status_differs):
            tally[C.matched] += 1
            return []
        found = []
        for cls, differs in ((C.amount_mismatch, amount_differs), (C.status_mismatch, status_differs)):
            if differs:
                tally[cls] += 1
                found.append(Discrepancy(
                    cls, reference, mine.amount_fen, theirs.amount_fen, mine.status, theirs.status,
                    theirs.provider_id, _time_text(theirs.time), 1, 1, "",
                    severity_of(cls, mine.amount_fen, theirs.amount_fen, mine.status, theirs.status)))
        return found
    if len(ours) > 1 or len(provider) > 1:
        tally[C.duplicate] += 1
        return [_duplicate(reference, ours, sorted(provider, key=_line_order))]
    if not ours:
        theirs = provider[0]
        tally[C.provider_only] += 1
        return [Discrepancy(C.provider_only, reference, None, theirs.amount_fen, None, theirs.status,
                            theirs.provider_id, _time_text(theirs.time), 0, 1, "",
                            severity_of(C.provider_only, None, theirs.amount_fen, None, theirs.status))]
    mine = ours[0]
    if not mine.in_month:
        tally[OTHER_MONTH] += 1
        return []
    if mine.status != "succeeded":
        tally[UNPAID_NOT_AT_PROVIDER] += 1
        return []
    tally[C.ours_only] += 1
    return [Discrepancy(C.ours_only, reference, mine.amount_fen, None, mine.status, None, None, None, 1, 0, "",
                        severity_of(C.ours_only, mine.amount_fen, None, mine.status, None))]


_DETAIL_LINES = 5


def _duplicate(reference: str, ours: Sequence[OurSide], provider: Sequence[ProviderSide]) -> Discrepancy:
    """One item for the whole reference; ``detail`` lists the first lines of each side."""
    parts = []
    if provider:
        shown = "; ".join(f"{fen_to_yuan(p.amount_fen)} {p.status} {p.provider_id}" for p in provider[:_DETAIL_LINES])
        more = f"; and {len(provider) - _DETAIL_LINES} more" if len(provider) > _DETAIL_LINES else ""
        parts.append(f"provider lists {len(provider)}: {shown}{more}")
    if ours:
        shown = "; ".join(f"{fen_to_yuan(o.amount_fen)} {o.status}" for o in ours[:_DETAIL_LINES])
        more = f"; and {len(ours) - _DETAIL_LINES} more" if len(ours) > _DETAIL_LINES else ""
        parts.append(f"we hold {len(ours)}: {shown}{more}")
    mine = ours[0] if ours else None
    theirs = provider[0] if provider else None
    values = (mine.amount_fen if mine else None, theirs.amount_fen if theirs else None,
              mine.status if mine else None, theirs.status if theirs else None)
    not_failed = sum(1 for p in provider if p.status != "failed")
    return Discrepancy(
        DiscrepancyClass.duplicate, reference, *values,
        theirs.provider_id if theirs else None, _time_text(theirs.time) if theirs else None,
        len(ours), len(provider), " / ".join(parts)[:400],
        severity_of(DiscrepancyClass.duplicate, *values, provider_lines_not_failed=not_failed),
    )


def match_statement(ours: Iterable[OurSide], provider: Iterable[ProviderSide],
                    tally: Counter[str] | None = None) -> Iterator[Discrepancy]:
    """Discrepancies between two reference-sorted streams, in reference order (then class order).

    Pass a ``Counter`` as ``tally`` to learn how many references ended in each outcome."""
    counts: Counter[str] = tally if tally is not None else Counter()
    for reference, our_group, provider_group in merge_join(ours, provider):
        yield from classify(reference, our_group, provider_group, counts)


class ResultDigest:
    """SHA-256 over the discrepancies in ``match_statement`` order, then the count of every outcome."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._last: tuple[str, int] | None = None

    def add(self, d: Discrepancy) -> None:
        key = (d.reference, _CLASS_ORDER[d.discrepancy])
        if self._last is not None and key <= self._last:
            raise UnsortedInput("discrepancy", repr(self._last), repr(key))
        self._last = key
        self._hash.update(d.canonical().encode("utf-8") + b"\n")

    def finish(self, tally: Counter[str]) -> str:
        counts = {str(k): v for k, v in sorted(tally.items()) if v}
        self._hash.update(b"counts " + json.dumps(counts, sort_keys=True, separators=(",", ":")).encode())
        return self._hash.hexdigest()


def result_digest(discrepancies: Iterable[Discrepancy], tally: Counter[str]) -> str:
    digest = ResultDigest()
    for d in sorted(discrepancies, key=lambda d: (d.reference, _CLASS_ORDER[d.discrepancy])):
        digest.add(d)
    return digest.finish(tally)


# --- months ------------------------------------------------------------------------------------


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``"2026-03"`` in ``zone`` -> [first instant, first instant of the next month) in UTC."""
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        raise ValueError("month must look like 2026-03")
    year, number = int(month[:4]), int(month[5:])
    if not 1 <= number <= 12 or year < 2000:
        raise ValueError("month must look like 2026-03")
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(after[0], after[1], 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class VersionChanges:
    """What a new version says about the one before it."""

    previous_version: int
    added: dict[str, int]
    removed: dict[str, int]
    count_changes: dict[str, list[int]]
    statement_changed: bool
    resolutions_carried: int

    def as_json(self) -> dict[str, Any]:
        return {"previous_version": self.previous_version, "added": self.added, "removed": self.removed,
                "count_changes": self.count_changes, "statement_changed": self.statement_changed,
                "resolutions_carried": self.resolutions_carried}

    @property
    def text(self) -> str:
        parts = [f"+{n} {k}" for k, n in sorted(self.added.items())] + [f"-{n} {k}" for k, n in sorted(self.removed.items())]
        return (f"changed from version {self.previous_version}: " + (", ".join(parts) or "same discrepancies, other counts")
                + ("" if not self.resolutions_carried else f"; {self.resolutions_carried} resolution(s) carried over"))


def count_changes(before: dict[str, int], after: dict[str, int]) -> dict[str, list[int]]:
    return {k: [before.get(k, 0), after.get(k, 0)] for k in sorted(set(before) | set(after))
            if before.get(k, 0) != after.get(k, 0)}


# --- tables ------------------------------------------------------------------------------------


class ReconciliationRun(SQLModel, table=True):
    """One version of one month's reconciliation. Versions are never replaced: a re-run that finds
    something else is the next version, and says what changed (``changes_from_previous``)."""

    __tablename__ = "reconciliation_run"
    __table_args__ = (
        UniqueConstraint("month", "version", name="uq_reconciliation_run_month_version"),
        CheckConstraint("version >= 1", name="ck_reconciliation_run_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)
    version: int
    statement_sha256: str = Field(max_length=64)
    result_sha256: str = Field(max_length=64)
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    statement_lines: int = 0
    payouts_counted: int = 0
    run_by: str = Field(max_length=40)
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    changes_from_previous: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    signed_off_by: str | None = Field(default=None, max_length=32)
    signed_off_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class ReconciliationException(SQLModel, table=True):
    """One discrepancy for finance. Open until a finance officer resolves it with a reason;
    a resolved item is final (trigger). ``carried_from_id``: resolved because the very same
    discrepancy was resolved in the previous version."""

    __tablename__ = "reconciliation_exception"
    __table_args__ = (
        UniqueConstraint("run_id", "fingerprint", name="uq_reconciliation_exception_run_fingerprint"),
        Index("ix_reconciliation_exception_run_status", "run_id", "status"),
        CheckConstraint("status <> 'resolved' OR (resolved_by IS NOT NULL AND resolution_reason IS NOT NULL "
                        "AND resolved_at IS NOT NULL)", name="ck_reconciliation_exception_resolution_complete"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="reconciliation_run.id")
    discrepancy: DiscrepancyClass = enum_field(DiscrepancyClass)
    reference: str = Field(max_length=64, index=True)
    our_amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    provider_amount_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    our_status: str | None = Field(default=None, max_length=40)
    provider_status: str | None = Field(default=None, max_length=40)
    provider_id: str | None = Field(default=None, max_length=64)
    provider_time: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    our_count: int = 0
    provider_count: int = 0
    detail: str = Field(default="", max_length=400)
    severity: Severity = enum_field(Severity)
    status: ExceptionStatus = enum_field(ExceptionStatus)
    fingerprint: str = Field(max_length=64)
    resolved_by: str | None = Field(default=None, max_length=32)
    resolution_reason: str | None = Field(default=None, max_length=2000)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    carried_from_id: int | None = Field(default=None, foreign_key="reconciliation_exception.id")
