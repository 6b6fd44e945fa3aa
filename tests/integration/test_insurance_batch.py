"""A claims batch taken in chunks, without Prefect: the file checked and kept once, its chunks
found from byte offsets (a diagnosis with a line break inside quotes stays in its row), each row a
claim once however often a chunk runs, bad rows named by row and field without their values."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from casetypes.insurance import batch
from models.errors import InputError, NotFound, RuleViolation
from models.insurance import InsuranceBatch, InsuranceClaim
from models.time import time_fixed_at
from services.db import transaction
from tests.factories import as_staff
from tests.integration.test_insurance import TODAY, enrolled, products, world  # noqa: F401  (fixtures)

HEADER = ("caseworker,member_number,product,event_date,notified_on,received_on,hospital_days,expenses_yuan,"
          "claimed_yuan,diagnosis,invoices,documents")
DOCUMENTS = "application_form;membership_proof;resident_id;diagnosis;discharge_summary;medical_invoices"


def row(member: str, event: date, days: int = 5, diagnosis: str = "肺炎") -> str:
    notified, received = event + timedelta(days=2), event + timedelta(days=5)
    return (f"CW1,{member},supplementary_medical,{event},{notified},{received},{days},1800,1200,"
            f"{diagnosis},INV-1 1800.00,{DOCUMENTS}")


def settlement_list(tmp_path, rows: list[str], name: str = "settlement.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def ten_rows() -> list[str]:
    rows = [row("M0001" if i % 2 else "M0002", date(2026, 3, 1) + timedelta(days=7 * i)) for i in range(8)]
    rows.insert(3, row("M0002", date(2026, 5, 20), days=-1, diagnosis="乳腺肿瘤"))  # line 5: a bad row
    rows.insert(6, row("M0001", date(2026, 5, 27), diagnosis='"多行\n诊断, 带逗号"'))  # one record, two lines
    return rows


def claims(engine) -> int:
    with transaction(engine) as s:
        return s.execute(select(func.count()).select_from(InsuranceClaim)).scalar_one()


@pytest.fixture
def registered(world, tmp_path):
    enrolled(world, tmp_path)
    with time_fixed_at(TODAY):
        info = batch.register_batch(settlement_list(tmp_path, ten_rows()), as_staff("CW1"), engine=world)
    return info


def test_a_batch_is_registered_once_and_its_file_kept_for_the_system_only(world, tmp_path, registered):
    assert registered.rows == 10 and registered.new
    with time_fixed_at(TODAY):
        again = batch.register_batch(settlement_list(tmp_path, ten_rows(), name="copy.csv"), as_staff("CW1"), engine=world)
    assert again.reference == registered.reference and not again.new
    with transaction(world) as s:
        stored = s.execute(select(InsuranceBatch)).scalar_one()
    kept = batch.stored_file(stored.fingerprint)
    assert kept.is_file() and kept.stat().st_mode & 0o077 == 0


def test_the_chunks_cover_every_row_once_and_a_quoted_line_break_stays_in_its_row(world, registered):
    chunks = batch.plan(registered.reference, rows_per_chunk=3, engine=world)
    assert [c.rows for c in chunks] == [3, 3, 3, 1]
    assert [c.line for c in chunks] == [2, 5, 8, 12]  # the record on line 8 spans lines 8 and 9


def test_each_row_becomes_one_claim_however_often_its_chunk_runs_and_a_bad_row_is_named(world, registered):
    chunks = batch.plan(registered.reference, rows_per_chunk=3, engine=world)
    with time_fixed_at(TODAY):
        first = [batch.take_chunk(registered.reference, c, engine=world) for c in chunks]
        again = [batch.take_chunk(registered.reference, c, engine=world) for c in chunks]
    assert claims(world) == 9
    problems = [p for r in first for p in r.problems]
    assert [(p.row, p.field) for p in problems] == [(5, "hospital_days")]
    assert "乳腺肿瘤" not in str(problems)
    assert sum(r.counts.get("taken", 0) for r in first) == 9 and sum(r.counts.get("taken", 0) for r in again) == 0
    assert sum(r.counts.get("approved", 0) for r in again) == 9  # every claim checked once, approved automatically
    view = batch.batch_view(registered.reference, engine=world)
    assert view.claims == 9 and view.by_status == {"approved": 9}
    with transaction(world) as s:
        rows = sorted(s.execute(select(InsuranceClaim.batch_row)).scalars())
    assert rows == [2, 3, 4, 6, 7, 8, 10, 11, 12]


def test_a_file_not_utf8_or_not_csv_or_without_rows_is_refused_by_name(world, tmp_path):
    enrolled(world, tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\n" + row("M0001", date(2026, 3, 1))).encode("gbk"))
    with pytest.raises(InputError, match="file: is not UTF-8 text"):
        batch.register_batch(latin, as_staff("CW1"), engine=world)
    with pytest.raises(InputError, match="file: must end in .csv"):
        batch.register_batch(tmp_path / "claims.json", as_staff("CW1"), engine=world)
    with pytest.raises(InputError, match="file: has no rows"):
        batch.register_batch(settlement_list(tmp_path, [], name="empty.csv"), as_staff("CW1"), engine=world)
    with pytest.raises(RuleViolation, match="needs the caseworker role"):
        batch.register_batch(settlement_list(tmp_path, [row("M0001", date(2026, 3, 1))]), as_staff("FI1"), engine=world)
    with pytest.raises(RuleViolation, match="proves who they are"):
        batch.register_batch(settlement_list(tmp_path, [row("M0001", date(2026, 3, 1))]), "system", engine=world)
    with pytest.raises(NotFound, match="batch: no claims batch"):
        batch.plan("MIB-20260615-0000000000", engine=world)
