"""Reconciling a month: the provider's statement against our payouts, versioned, signed off by finance.

A run, in one transaction:
1. The statement (a file, its text, or downloaded through the adapter *before* the transaction
   opens) is read row by row, checked, and copied into a temporary table (``COPY`` on
   PostgreSQL, ``executemany`` on SQLite). Nothing holds the month's lines in Python.
2. Both sides are read back sorted by reference (server-side cursors on PostgreSQL, and
   ``COLLATE "C"`` there so the database sorts the way Python compares) and merge-joined by the
   pure core, ``models.reconciliation.match_statement``.
3. Each discrepancy becomes an exception item for finance, written in batches; the result digest
   is built as they stream past.
4. If the digest equals the latest version's, everything written is rolled back to a savepoint,
   the re-run is audited, and the answer is "same result as version N": nothing new is stored.
   Otherwise this is version N+1, and ``changes_from_previous`` says what changed. Versions are
   never replaced. An item resolved in version N whose very same discrepancy (same fingerprint)
   is found again is stored resolved, pointing at the item it was carried from.

Which payouts belong to month M (Asia/Shanghai, from settings). The provider dates a transfer by
when it received it; our nearest stored instant is ``Payout.created_at``, committed just before
the first send (``pay_case`` sends at once). ``completed_at`` is when *we* learned the outcome,
which can be hours or days later (an unknown outcome resolved the next morning), so it would put
transfers in another month than the provider does. So our side is:
- every payout created in M, whatever its status; and
- every payout, created whenever, whose reference is on M's statement: a line near a month
  boundary (prepared at 23:59, sent after midnight) is matched, never "unknown to us".
Of ours missing from the statement only ``succeeded`` ones are discrepancies (``ours_only``);
prepared, submitted, unknown or failed ones moved no money and are counted as
``unpaid_not_at_provider``. Known gap: a payout created in M but first received by the provider
in M+1 shows as ``ours_only`` in M (and matched in M+1); finance resolves it saying so.

A statement line outside M, or any malformed line, refuses the whole file (``InputError`` naming
row and column) and nothing is stored. Each run (also a "same result" re-run), resolution and
sign-off writes its audit event in the same transaction as the change it records.

Costs: on SQLite the run holds the write lock for its length (``BEGIN IMMEDIATE``): about 13 s
for a million lines, milliseconds for a real month. Memory stays about 20 MB above the
interpreter for a million lines (``bench/reconcile.py``). A statement downloaded through the
adapter is another matter: ``HttpPaymentProvider.download_statement`` returns the whole text and
checks it by parsing it into a list first, so a huge month is better given as a file.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, and_, case, exists, func, insert, or_, select, type_coerce, update
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.enums import Role
from models.errors import ConflictError, InputError, NotFound, RuleViolation
from models.identity import Actor, Verified, actor_label
from models.org import Staff
from models.payouts import Payout
from models.reconciliation import (
    Discrepancy,
    ExceptionStatus,
    ReconciliationException,
    ReconciliationRun,
    ResultDigest,
    Severity,
    VersionChanges,
    count_changes,
    match_statement,
    month_bounds,
)
from models.time import utcnow
from services import auth
from services.audit import append_event
from services.db import is_postgres, transaction
from services.masking import mask_text
from services.payment_provider import STATEMENT_COLUMNS, PaymentProvider, fen_from_yuan_text
from services.settings import get_settings

StatementSource = Path | str | PaymentProvider
"""A ``Path`` to a statement CSV file, the CSV text itself, or the adapter to download it with."""

SYSTEM = "system"
BATCH = 2_000
STREAM_ROWS = 10_000
_STAGE = "reconciliation_stage"
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATUSES = frozenset(("succeeded", "failed", "processing"))

_run = ReconciliationRun.__table__  # type: ignore[attr-defined]
_exc = ReconciliationException.__table__  # type: ignore[attr-defined]
_payout = Payout.__table__  # type: ignore[attr-defined]
_stage = sql_table(_STAGE, sql_column("reference"), sql_column("provider_id"), sql_column("status"),
                   sql_column("amount_fen"), sql_column("time"))


@dataclass(frozen=True)
class RunSummary:
    """What a reconciliation run found, safe to show (references and amounts, no names)."""

    month: str
    version: int
    run_id: int
    counts: dict[str, int]
    open_exceptions: int
    critical_open: int
    statement_lines: int
    payouts_counted: int
    result_sha256: str
    statement_sha256: str
    changes: dict[str, Any] | None
    signed_off_by: str | None
    same_as_version: int | None = None  # set when a re-run found this stored version's result again

    @property
    def is_new_version(self) -> bool:
        return self.same_as_version is None

    def __str__(self) -> str:
        found = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()) if n) or "nothing"
        head = (f"{self.month}: same result as version {self.version}, nothing new stored" if self.same_as_version
                else f"{self.month} version {self.version}")
        text = f"{head}: {self.statement_lines} statement lines, {self.payouts_counted} payouts; {found}; " \
               f"{self.open_exceptions} exception(s) open ({self.critical_open} critical)"
        if self.changes and not self.same_as_version:
            text += "; " + _changes_text(self.changes)
        if self.signed_off_by:
            text += f"; signed off by {self.signed_off_by}"
        return text


@dataclass(frozen=True)
class ExceptionView:
    id: int
    month: str
    version: int
    discrepancy: str
    reference: str
    our_amount_fen: int | None
    provider_amount_fen: int | None
    our_status: str | None
    provider_status: str | None
    provider_id: str | None
    severity: Severity
    status: ExceptionStatus
    detail: str
    resolved_by: str | None
    resolution_reason: str | None
    carried_from_id: int | None


# --- running a month -----------------------------------------------------------------------------


def reconcile_month(month: str, source: StatementSource, *, actor: Actor = SYSTEM,
                    engine: Engine | None = None) -> RunSummary:
    """Reconcile ``month`` ("2026-03") against the statement; a new version, or "same result as N"."""
    start, end = _bounds(month)
    with transaction(engine) as session:
        actor = _require_actor(session, actor)
    if isinstance(source, (Path, str)):
        statement: Path | str = source
    else:
        statement = source.download_statement(month=month)  # outside any transaction: no lock held over HTTP
    started = utcnow()
    try:
        with transaction(engine) as session:
            with _OpenedStatement(statement) as (lines, statement_sha256):
                lines_counted = _stage_statement(session, _checked_rows(lines, month, start, end))
            return _match_and_store(session, month, start, end, actor, started, statement_sha256, lines_counted)
    except IntegrityError as exc:
        if not any(name in str(exc.orig) for name in ("uq_reconciliation_run_month_version", "reconciliation_run.month")):
            raise
        raise ConflictError(f"another reconciliation of {month} finished first; run it again to compare") from None


def _match_and_store(session: Session, month: str, start: datetime, end: datetime, actor: str | Verified, started: datetime,
                     statement_sha256: str, lines_counted: int) -> RunSummary:
    """Version N+1 written under a savepoint; kept only if its result differs from version N's."""
    previous = _latest(session, month)
    savepoint = session.begin_nested()
    run = ReconciliationRun(month=month, version=(previous.version + 1) if previous else 1,
                            statement_sha256=statement_sha256, result_sha256="", run_by=actor_label(actor),
                            started_at=started, statement_lines=lines_counted)
    session.add(run)
    session.flush()
    found = _match_into(session, run.id, _resolutions(session, previous.id) if previous else {}, start, end)  # type: ignore[arg-type]

    if previous is not None and previous.result_sha256 == found.result_sha256:
        savepoint.rollback()
        _drop_stage(session)
        append_event(session, actor=actor, action="reconciliation_rerun_same_result",
                     payload={"month": month, "same_as_version": previous.version,
                              "statement_sha256": statement_sha256,
                              "statement_changed": statement_sha256 != previous.statement_sha256})
        return _summary(session, previous, same_as_version=previous.version)

    changes = None
    if previous is not None:
        added, removed = _diff(session, run.id, previous.id)  # type: ignore[arg-type]
        changes = VersionChanges(previous.version, added, removed, count_changes(previous.counts, found.counts),
                                 statement_sha256 != previous.statement_sha256, found.carried).as_json()
    run.result_sha256, run.counts, run.changes_from_previous = found.result_sha256, found.counts, changes
    run.payouts_counted, run.finished_at = found.payouts_counted, utcnow()
    session.add(run)
    session.flush()
    savepoint.commit()
    _drop_stage(session)
    summary = _summary(session, run)
    append_event(session, actor=actor, action="reconciliation_run",
                 payload={"month": month, "version": run.version, "statement_sha256": statement_sha256,
                          "result_sha256": found.result_sha256, "counts": found.counts,
                          "open_exceptions": summary.open_exceptions, "changes": changes})
    return summary


@dataclass(frozen=True)
class _Found:
    result_sha256: str
    counts: dict[str, int]
    payouts_counted: int
    carried: int


def _match_into(session: Session, run_id: int, carried: dict[str, _Resolution], start: datetime,
                end: datetime) -> _Found:
    """Merge-join the staged statement with our side and write every discrepancy as an item of ``run_id``."""
    tally: Counter[str] = Counter()
    digest = ResultDigest()
    writer = _ExceptionWriter(session, run_id, carried)
    ours = _CountingIterator(_our_side(session, start, end))
    for discrepancy in match_statement(ours, _provider_side(session), tally):
        digest.add(discrepancy)
        writer.add(discrepancy)
    writer.flush()
    return _Found(digest.finish(tally), {str(k): v for k, v in sorted(tally.items())}, ours.count, writer.carried)


def _bounds(month: str) -> tuple[datetime, datetime]:
    try:
        return month_bounds(month, get_settings().zone)
    except ValueError:
        raise InputError("month", "must look like 2026-03 (year and month)") from None


# --- the statement ------------------------------------------------------------------------------


class _OpenedStatement:
    """The statement's lines and its SHA-256, from a file (streamed) or from text."""

    def __init__(self, statement: Path | str) -> None:
        self._statement = statement
        self._handle: Any = None

    def __enter__(self) -> tuple[Iterable[str], str]:
        if isinstance(self._statement, Path):
            if not self._statement.is_file():
                raise InputError("statement", f"file {self._statement.name} does not exist")
            digest = hashlib.sha256()
            with self._statement.open("rb") as raw:
                for chunk in iter(lambda: raw.read(1 << 20), b""):
                    digest.update(chunk)
            self._handle = self._statement.open(encoding="utf-8-sig", newline="")
            return self._handle, digest.hexdigest()
        text = self._statement
        digest = hashlib.sha256()
        for at in range(0, len(text), 1 << 20):
            digest.update(text[at:at + (1 << 20)].encode("utf-8"))
        return _split_lines(text.removeprefix("\ufeff")), digest.hexdigest()

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


def _split_lines(text: str) -> Iterator[str]:
    """Lines of ``text`` with their endings, one at a time (no list of a million strings)."""
    at, size = 0, len(text)
    while at < size:
        newline = text.find("\n", at)
        if newline < 0:
            yield text[at:]
            return
        yield text[at:newline + 1]
        at = newline + 1


def _checked_rows(lines: Iterable[str], month: str, start: datetime, end: datetime
                  ) -> Iterator[tuple[str, str, str, int, str]]:
    """(reference, provider_id, status, amount_fen, time) per line; a bad line is an
    ``InputError`` naming its row and column, like ``payment_provider.parse_statement``."""
    reader = csv.reader(lines)
    number = 1
    try:
        header = next(reader, None)
        if header is None or tuple(header) != STATEMENT_COLUMNS:
            raise InputError("header", "must be " + ",".join(STATEMENT_COLUMNS), row=1)
        for row in reader:
            number += 1
            if not row:
                continue
            if len(row) != len(STATEMENT_COLUMNS):
                raise InputError("row", f"must have {len(STATEMENT_COLUMNS)} columns", row=number)
            reference, provider_id, status, when, amount, _payee_masked = row  # the masked card is not needed
            if not _REFERENCE.match(reference):
                raise InputError("reference", "must be 1 to 64 letters, digits, '-' or '_'", row=number)
            if not provider_id or len(provider_id) > 64:
                raise InputError("provider_id", "must be 1 to 64 characters", row=number)
            if status not in _STATUSES:
                raise InputError("status", "must be succeeded, failed or processing", row=number)
            try:
                moment = datetime.fromisoformat(when)
            except ValueError:
                raise InputError("time", "must be an ISO 8601 time with offset", row=number) from None
            if moment.tzinfo is None:
                raise InputError("time", "must carry a UTC offset", row=number)
            if not start <= moment < end:
                raise InputError("time", f"is outside {month}: is this the statement for {month}?", row=number)
            try:
                amount_fen = fen_from_yuan_text(amount)
            except ValueError as exc:
                raise InputError("amount_yuan", str(exc), row=number) from None
            yield reference, provider_id, status, amount_fen, when  # as written; normalised only if reported
    except csv.Error:
        raise InputError("file", "is not valid CSV", row=number) from None
    except UnicodeDecodeError:
        raise InputError("file", "is not UTF-8 text: save the statement as UTF-8") from None


def _stage_statement(session: Session, rows: Iterator[tuple[str, str, str, int, str]]) -> int:
    """Copy the checked rows into a temporary table on this transaction's connection; their count."""
    conn = session.connection()
    raw = conn.connection.driver_connection
    if is_postgres(conn.engine):
        # COLLATE "C": sorted as Python compares strings (code points), whatever the database's locale.
        conn.exec_driver_sql(f'CREATE TEMP TABLE {_STAGE} (reference text COLLATE "C" NOT NULL, '
                             "provider_id text NOT NULL, status text NOT NULL, amount_fen bigint NOT NULL, "
                             "time text NOT NULL) ON COMMIT DROP")
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {_STAGE} (reference, provider_id, status, amount_fen, time) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{_STAGE}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {_STAGE} (reference TEXT NOT NULL, provider_id TEXT NOT NULL, "
                             "status TEXT NOT NULL, amount_fen INTEGER NOT NULL, time TEXT NOT NULL)")
        raw.executemany(f"INSERT INTO temp.{_STAGE} VALUES (?, ?, ?, ?, ?)", rows)  # type: ignore[union-attr]
    if is_postgres(conn.engine):
        conn.exec_driver_sql(f"CREATE INDEX {_STAGE}_reference ON {_STAGE} (reference)")
        conn.exec_driver_sql(f"ANALYZE {_STAGE}")  # autovacuum never sees temporary tables
        # Both cursors are read to the end: plan for all rows (a sort), not for the first 10% (an
        # index walk that fetches every heap row: 2.5 times slower here for a million lines).
        conn.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    else:
        # Covering, so reading the stage in reference order never goes back to the table.
        conn.exec_driver_sql(f"CREATE INDEX {_STAGE}_reference ON {_STAGE} "
                             "(reference, provider_id, status, amount_fen, time)")
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {_STAGE}").scalar_one())


def _drop_stage(session: Session) -> None:
    session.connection().exec_driver_sql(f"DROP TABLE {_STAGE}")


# --- the two sides, sorted by reference ---------------------------------------------------------


def _our_side(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    """Payouts created in the month, and any payout the statement names, by reference."""
    conn = session.connection()
    postgres = is_postgres(conn.engine)
    reference = _payout.c.reference
    in_month = and_(_payout.c.created_at >= start, _payout.c.created_at < end)
    named = exists().where(_stage.c.reference == (reference.collate("C") if postgres else reference))
    query = (select(reference.label("reference"), _payout.c.amount_fen.label("amount_fen"),
                    type_coerce(_payout.c.status, String).label("status"),
                    case((in_month, True), else_=False).label("in_month"))
             .where(or_(in_month, named))
             .order_by(reference.collate("C") if postgres else reference))
    yield from conn.execute(query, execution_options={"stream_results": True, "yield_per": STREAM_ROWS})


def _provider_side(session: Session) -> Iterator[Any]:
    query = select(_stage.c.reference, _stage.c.provider_id, _stage.c.status, _stage.c.amount_fen,
                   _stage.c.time).order_by(_stage.c.reference)
    yield from session.connection().execute(query, execution_options={"stream_results": True,
                                                                      "yield_per": STREAM_ROWS})


class _CountingIterator:
    def __init__(self, records: Iterator[Any]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for record in self._records:
            self.count += 1
            yield record


# --- storing what was found ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Resolution:
    exception_id: int
    resolved_by: str
    reason: str
    resolved_at: datetime


class _ExceptionWriter:
    """Exception items, inserted ``BATCH`` at a time; resolutions of identical items carried over."""

    def __init__(self, session: Session, run_id: int, carried: dict[str, _Resolution]) -> None:
        self._session, self._run_id, self._carried = session, run_id, carried
        self._rows: list[dict[str, Any]] = []
        self.carried = 0

    def add(self, d: Discrepancy) -> None:
        fingerprint = d.fingerprint
        earlier = self._carried.get(fingerprint)
        self.carried += earlier is not None
        self._rows.append({
            "run_id": self._run_id, "discrepancy": d.discrepancy, "reference": d.reference,
            "our_amount_fen": d.our_amount_fen, "provider_amount_fen": d.provider_amount_fen,
            "our_status": d.our_status, "provider_status": d.provider_status, "provider_id": d.provider_id,
            "provider_time": datetime.fromisoformat(d.provider_time) if d.provider_time else None,
            "our_count": d.our_count, "provider_count": d.provider_count, "detail": d.detail,
            "severity": d.severity, "fingerprint": fingerprint,
            "status": ExceptionStatus.resolved if earlier else ExceptionStatus.open,
            "resolved_by": earlier.resolved_by if earlier else None,
            "resolution_reason": earlier.reason if earlier else None,
            "resolved_at": earlier.resolved_at if earlier else None,
            "carried_from_id": earlier.exception_id if earlier else None,
        })
        if len(self._rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._session.execute(insert(_exc), self._rows)
            self._rows = []


def _latest(session: Session, month: str) -> ReconciliationRun | None:
    return session.execute(select(ReconciliationRun).where(col(ReconciliationRun.month) == month)
                           .order_by(col(ReconciliationRun.version).desc()).limit(1)).scalar_one_or_none()


def _resolutions(session: Session, run_id: int) -> dict[str, _Resolution]:
    rows = session.execute(select(_exc.c.fingerprint, _exc.c.id, _exc.c.resolved_by, _exc.c.resolution_reason,
                                  _exc.c.resolved_at)
                           .where(_exc.c.run_id == run_id, _exc.c.status == ExceptionStatus.resolved))
    return {r.fingerprint: _Resolution(r.id, r.resolved_by, r.resolution_reason, r.resolved_at) for r in rows}


def _diff(session: Session, run_id: int, previous_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Per class: items of the new run not in the previous one (added), and the reverse (removed)."""
    other = _exc.alias("other")

    def only_in(this: int, that: int) -> dict[str, int]:
        query = (select(_exc.c.discrepancy, func.count())
                 .where(_exc.c.run_id == this,
                        ~exists().where(other.c.run_id == that, other.c.fingerprint == _exc.c.fingerprint))
                 .group_by(_exc.c.discrepancy))
        return {str(cls): int(n) for cls, n in session.execute(query)}

    return only_in(run_id, previous_id), only_in(previous_id, run_id)


def _summary(session: Session, run: ReconciliationRun, same_as_version: int | None = None) -> RunSummary:
    open_rows = session.execute(select(_exc.c.severity, func.count())
                                .where(_exc.c.run_id == run.id, _exc.c.status == ExceptionStatus.open)
                                .group_by(_exc.c.severity)).all()
    by_severity = {Severity(s): int(n) for s, n in open_rows}
    return RunSummary(run.month, run.version, run.id, dict(run.counts), sum(by_severity.values()),  # type: ignore[arg-type]
                      by_severity.get(Severity.critical, 0), run.statement_lines, run.payouts_counted,
                      run.result_sha256, run.statement_sha256, run.changes_from_previous, run.signed_off_by,
                      same_as_version)


def _changes_text(changes: dict[str, Any]) -> str:
    return VersionChanges(changes["previous_version"], changes["added"], changes["removed"], changes["count_changes"],
                          changes["statement_changed"], changes["resolutions_carried"]).text


# --- finance: resolving and signing off ---------------------------------------------------------


def _require_finance(session: Session, actor: Actor, doing: str) -> tuple[Staff, Verified]:
    """Keeps the finance role's duties with finance: only an active finance officer, proved, may ``doing``."""
    return auth.require_role(session, actor, frozenset({Role.finance}), doing)


def _require_actor(session: Session, actor: Actor) -> str | Verified:
    if actor == SYSTEM:
        return SYSTEM
    return _require_finance(session, actor, "running a reconciliation")[1]


def resolve_exception(exception_id: int, *, staff_number: Actor, reason: str,
                      engine: Engine | None = None) -> ExceptionView:
    """A finance officer closes one open item of the month's current version, saying why; audited."""
    if not reason.strip():
        raise InputError("reason", "is required: say what was found and what was done")
    if len(reason) > 2000:
        raise InputError("reason", "must be at most 2,000 characters")
    with transaction(engine) as session:
        staff, who = _require_finance(session, staff_number, "resolving reconciliation exceptions")
        item = session.get(ReconciliationException, exception_id)
        if item is None:
            raise NotFound(f"reconciliation exception {exception_id} does not exist")
        run = session.get(ReconciliationRun, item.run_id)
        assert run is not None
        latest = _latest(session, run.month)
        assert latest is not None
        if latest.id != run.id:
            raise RuleViolation(f"exception {exception_id} belongs to version {run.version} of {run.month}; "
                                f"version {latest.version} is current: resolve its items instead")
        if item.status == ExceptionStatus.resolved:
            raise RuleViolation(f"exception {exception_id} was resolved by {item.resolved_by} already; "
                                "a resolution is final")
        masked = mask_text(reason.strip())
        done = session.execute(update(ReconciliationException)
                               .where(col(ReconciliationException.id) == exception_id,
                                      col(ReconciliationException.status) == ExceptionStatus.open)
                               .values(status=ExceptionStatus.resolved, resolved_by=staff.staff_number,
                                       resolution_reason=masked, resolved_at=utcnow())
                               .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"exception {exception_id} was resolved by someone else first; reload it")
        append_event(session, actor=who, action="reconciliation_exception_resolved",
                     from_status=ExceptionStatus.open.value, to_status=ExceptionStatus.resolved.value, reason=masked,
                     payload={"month": run.month, "version": run.version, "exception_id": exception_id,
                              "reference": item.reference, "discrepancy": item.discrepancy.value,
                              "severity": item.severity.value})
        session.refresh(item)
        return _view(item, run)


def sign_off(month: str, *, staff_number: Actor, engine: Engine | None = None) -> RunSummary:
    """A finance officer signs off the month's current version, only when no item is open; audited.
    Signing off a signed-off version again returns it as it is."""
    _bounds(month)
    with transaction(engine) as session:
        staff, who = _require_finance(session, staff_number, "signing off a reconciliation")
        run = session.execute(select(ReconciliationRun).where(col(ReconciliationRun.month) == month)
                              .order_by(col(ReconciliationRun.version).desc()).limit(1)
                              .with_for_update()).scalar_one_or_none()
        if run is None:
            raise NotFound(f"{month} has not been reconciled yet: run the reconciliation first")
        if run.signed_off_at is not None:
            return _summary(session, run)
        summary = _summary(session, run)
        if summary.open_exceptions:
            raise RuleViolation(
                f"{month} version {run.version} cannot be signed off: {summary.open_exceptions} exception(s) "
                f"still open ({summary.critical_open} critical); resolve each with a reason first")
        run.signed_off_by, run.signed_off_at = staff.staff_number, utcnow()
        session.add(run)
        session.flush()
        append_event(session, actor=who, action="reconciliation_signed_off",
                     payload={"month": month, "version": run.version, "result_sha256": run.result_sha256,
                              "counts": dict(run.counts)})
        return _summary(session, run)


# --- reading ------------------------------------------------------------------------------------


def latest_run(month: str, *, engine: Engine | None = None) -> RunSummary | None:
    _bounds(month)
    with transaction(engine) as session:
        run = _latest(session, month)
        return _summary(session, run) if run else None


def list_exceptions(month: str, *, only_open: bool = False, engine: Engine | None = None) -> list[ExceptionView]:
    """The items of the month's current version, critical first, then by reference."""
    _bounds(month)
    with transaction(engine) as session:
        run = _latest(session, month)
        if run is None:
            raise NotFound(f"{month} has not been reconciled yet: run the reconciliation first")
        query = select(ReconciliationException).where(col(ReconciliationException.run_id) == run.id)
        if only_open:
            query = query.where(col(ReconciliationException.status) == ExceptionStatus.open)
        items = session.execute(query).scalars().all()
        ordered = sorted(items, key=lambda e: (e.severity != Severity.critical, e.reference, e.discrepancy.value))
        return [_view(item, run) for item in ordered]


def _view(item: ReconciliationException, run: ReconciliationRun) -> ExceptionView:
    return ExceptionView(item.id, run.month, run.version, item.discrepancy.value, item.reference,  # type: ignore[arg-type]
                         item.our_amount_fen, item.provider_amount_fen, item.our_status, item.provider_status,
                         item.provider_id, item.severity, item.status, item.detail, item.resolved_by,
                         item.resolution_reason, item.carried_from_id)
