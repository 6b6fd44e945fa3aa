"""Claims batches: a hospital's monthly settlement list, taken in chunks by one flow run.

``register_batch`` checks the CSV (the import rules of ``services.import_files``, streamed: the
file is never loaded whole), keeps a copy under the data directory by its SHA-256 and records
the batch with its audit event; the same file again is the same batch. ``plan`` finds where each
chunk of rows starts (a byte offset), and ``take_chunk`` takes one chunk: each row becomes a claim
tagged with its batch and row (unique: a chunk taken again, or the whole batch run again, finds
its claims and makes none twice), each new claim is checked and routed, and the claims approved
automatically are paid when a provider is given (prepare-or-find then send: a retry re-sends the
same reference, never a second transfer). A bad row is named by row and field, never by its
values, and the other rows go on.

Claims of a batch are submitted by the staff member who registered it, recorded as proved by the
batch (``Verified(method="insurance_batch")``): registering needs their one-time code; the flow
run, started from the API or the UI with only the batch's reference, acts for them and for no one
else.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from casetypes.insurance import service
from casetypes.insurance.benefit import yuan
from casetypes.insurance.files import claim_from_csv_row
from casetypes.insurance.form import parse_claim
from models.cases import Case
from models.enums import CaseStatus, Role
from models.errors import FieldProblem, InputError, NotFound, RuleViolation, ValidationFailed
from models.identity import Actor, Verified
from models.insurance import InsuranceBatch, InsuranceClaim
from services.audit import append_event
from services.cases import resolve_actor
from services.db import transaction
from services.import_files import csv_header, record_dict, stream_csv
from services.settings import get_settings

BATCH_METHOD = "insurance_batch"  # how a batch's claims are proved: by the registered batch
CHUNK_ROWS = 200  # rows per task: 50 tasks for 10,000 claims, each a few seconds of work


@dataclass(frozen=True)
class BatchInfo:
    reference: str
    rows: int
    submitted_by: str
    new: bool  # False: this file was registered before (the same batch)


@dataclass(frozen=True)
class Chunk:
    index: int
    offset: int  # byte where its first row starts
    line: int  # that row's line in the file
    rows: int


@dataclass
class ChunkResult:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


def _store() -> Path:
    return get_settings().data_dir / "insurance-batches"


def stored_file(fingerprint: str) -> Path:
    return _store() / f"{fingerprint}.csv"


def _batch(session: Session, reference: str) -> InsuranceBatch:
    batch = session.execute(select(InsuranceBatch).where(col(InsuranceBatch.reference) == reference.strip())
                            ).scalar_one_or_none()
    if batch is None:
        raise NotFound("batch: no claims batch has this reference")
    return batch


def register_batch(path: Path, submitted_by: Actor, engine: Engine | None = None) -> BatchInfo:
    """Check and keep a claims CSV; the batch's reference (``MIB-<day>-<first 10 of its SHA-256>``)."""
    if path.suffix.lower() != ".csv":
        raise InputError("file", "must end in .csv: a claims batch is a CSV file (one claim per row)")
    csv_header(path)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    fingerprint = digest.hexdigest()
    rows = sum(1 for _ in stream_csv(path))
    if rows == 0:
        raise InputError("file", "has no rows: nothing to take in")
    with transaction(engine) as session:
        acting = resolve_actor(session, submitted_by)
        if acting.verified is None or acting.roles is None:
            raise RuleViolation("a claims batch is registered by a staff member who proves who they are")
        if Role.caseworker not in acting.roles:
            raise RuleViolation(f"staff member {acting.label} needs the caseworker role to submit claims")
        who = acting.verified
        existing = session.execute(select(InsuranceBatch).where(col(InsuranceBatch.fingerprint) == fingerprint)
                                   ).scalar_one_or_none()
        if existing is not None:
            return BatchInfo(existing.reference, existing.rows, existing.submitted_by, new=False)
        target = stored_file(fingerprint)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        shutil.copyfile(path, partial)
        os.chmod(partial, 0o600)  # diagnoses: for this system's eyes only
        os.replace(partial, target)
        batch = InsuranceBatch(reference=f"MIB-{service.today():%Y%m%d}-{fingerprint[:10]}", fingerprint=fingerprint,
                               rows=rows, submitted_by=who.staff_number)
        session.add(batch)
        session.flush()
        append_event(session, actor=who, action="insurance_batch_registered", reason=f"claims batch {batch.reference}",
                     payload={"reference": batch.reference, "rows": rows, "file_sha256": fingerprint})
        return BatchInfo(batch.reference, rows, who.staff_number, new=True)


def plan(reference: str, rows_per_chunk: int | None = None, engine: Engine | None = None) -> list[Chunk]:
    """The batch's chunks (``CHUNK_ROWS`` rows each unless told), from one streamed pass over its file."""
    rows_per_chunk = rows_per_chunk or CHUNK_ROWS
    with transaction(engine) as session:
        fingerprint = _batch(session, reference).fingerprint
    chunks: list[Chunk] = []
    count, start = 0, None
    for record in stream_csv(stored_file(fingerprint)):
        if start is None:
            start = record
        count += 1
        if count == rows_per_chunk:
            chunks.append(Chunk(len(chunks), start.offset, start.line, count))
            count, start = 0, None
    if start is not None:
        chunks.append(Chunk(len(chunks), start.offset, start.line, count))
    return chunks


def take_chunk(reference: str, chunk: Chunk, *, provider: object | None = None,
               engine: Engine | None = None) -> ChunkResult:
    """Take one chunk's rows (see the module's docstring); what happened, counted, and each bad row."""
    with transaction(engine) as session:
        batch = _batch(session, reference)
        batch_id, fingerprint, submitter = batch.id, batch.fingerprint, batch.submitted_by
    assert batch_id is not None
    actor = Verified(submitter, method=BATCH_METHOD)
    path = stored_file(fingerprint)
    names = csv_header(path)
    result = ChunkResult()
    counts: Counter[str] = Counter()
    records = list(stream_csv(path, offset=chunk.offset, line=chunk.line, limit=chunk.rows))
    taken = _claims_of(batch_id, [r.line for r in records], engine)
    for record in records:
        if record.line in taken:
            continue
        try:
            form = parse_claim(claim_from_csv_row(record_dict(names, record), record.line), record.line)
        except ValidationFailed as exc:
            result.problems.extend(exc.problems)
            continue
        try:
            taken[record.line] = service.intake_claim(form, actor, engine=engine, batch=(batch_id, record.line))
            counts["taken"] += 1
        except InputError as exc:
            detail = exc.problem_detail
            result.problems.append(FieldProblem(detail.field, detail.problem, record.line))
        except (RuleViolation, NotFound) as exc:
            result.problems.append(FieldProblem("application", str(exc), record.line))
        except IntegrityError:  # another run took this row a moment ago: it is taken, once
            taken.update(_claims_of(batch_id, [record.line], engine))
    statuses = _statuses(list(taken.values()), engine)
    for number in taken.values():
        if statuses[number] in (CaseStatus.submitted, CaseStatus.verifying):
            statuses[number] = CaseStatus(service.check_claim(number, engine=engine).status)
    if provider is not None:
        from services.campaigns import pay_cases  # the same exactly-once payment as a campaign's batch

        payable = [n for n in taken.values() if statuses[n] in (CaseStatus.approved, CaseStatus.payout_pending,
                                                                CaseStatus.paid)]
        counts.update({f"payment: {k}": v for k, v in pay_cases(payable, provider, engine=engine).items()})  # type: ignore[arg-type]
        statuses = _statuses(list(taken.values()), engine)
    counts.update(status.value for status in statuses.values())
    counts["bad rows"] += len({p.row for p in result.problems})
    result.counts = dict(counts)
    return result


def _claims_of(batch_id: int, lines: list[int], engine: Engine | None) -> dict[int, str]:
    with transaction(engine) as session:
        return {row: number for row, number in session.execute(
            select(col(InsuranceClaim.batch_row), col(Case.case_number)).join(Case, col(Case.id) == InsuranceClaim.case_id)
            .where(col(InsuranceClaim.batch_id) == batch_id, col(InsuranceClaim.batch_row).in_(lines))).all()}


def _statuses(numbers: list[str], engine: Engine | None) -> dict[str, CaseStatus]:
    with transaction(engine) as session:
        found: dict[str, CaseStatus] = {}
        for start in range(0, len(numbers), 500):
            found.update(session.execute(select(col(Case.case_number), col(Case.status)).where(
                col(Case.case_number).in_(numbers[start:start + 500]))).all())
        return found


@dataclass(frozen=True)
class BatchView:
    reference: str
    rows: int
    claims: int
    by_status: dict[str, int]
    approved_fen: int
    registered_at: str


def batch_view(reference: str, engine: Engine | None = None) -> BatchView:
    """Where a batch stands, from the database: its claims by status, what was approved."""
    with transaction(engine) as session:
        batch = _batch(session, reference)
        by_status = dict(session.execute(select(col(Case.status), func.count()).join(
            InsuranceClaim, col(InsuranceClaim.case_id) == Case.id).where(col(InsuranceClaim.batch_id) == batch.id)
            .group_by(col(Case.status))).all())
        approved = session.execute(select(func.coalesce(func.sum(Case.approved_fen), 0)).join(
            InsuranceClaim, col(InsuranceClaim.case_id) == Case.id).where(
            col(InsuranceClaim.batch_id) == batch.id,
            col(Case.status).in_(service.PAID_OR_DECIDED))).scalar_one()
        return BatchView(batch.reference, batch.rows, sum(by_status.values()),
                         {s.value: n for s, n in sorted(by_status.items(), key=lambda kv: kv[0].value)},
                         int(approved), batch.created_at.isoformat(timespec="seconds"))


def summary_markdown(view: BatchView, problems: list[FieldProblem], failed_chunks: int) -> str:
    """The batch's artifact: counts by status, bad rows by row and field (no values), chunks that failed."""
    lines = [f"# Claims batch {view.reference}", "", f"{view.rows} rows; {view.claims} claims taken; approved "
             f"{yuan(view.approved_fen)}", "", "| status | claims |", "| --- | ---: |"]
    lines += [f"| {status} | {n} |" for status, n in view.by_status.items()]
    if failed_chunks:
        lines += ["", f"**{failed_chunks} chunk(s) failed**: their rows are taken when the batch runs again."]
    if problems:
        lines += ["", f"## Rows not taken ({len({p.row for p in problems})})", "", "| row | field | problem |",
                  "| ---: | --- | --- |"]
        lines += [f"| {p.row} | {p.field} | {p.problem} |" for p in sorted(problems, key=lambda p: p.row or 0)[:500]]
        if len(problems) > 500:
            lines.append(f"| … | | {len(problems) - 500} more |")
    return "\n".join(lines) + "\n"

