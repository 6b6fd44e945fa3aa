"""Importing members: good rows stored, bad rows reported by row and field, re-import is a no-op."""

import json

import pytest
from sqlalchemy import func, select

from models.errors import InputError
from models.members import Household, Member
from services.db import transaction
from services.member_import import import_members
from tests import factories
from tests.factories import resident_id

HEADER = "member_number,name,resident_id,mobile,unit_code,join_date,household_number,monthly_income"


@pytest.fixture
def units(engine):
    factories.organisation(engine)
    return engine


def _write(tmp_path, *rows, name="members.csv"):
    path = tmp_path / name
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path


def _count(engine, model=Member):
    with transaction(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_valid_rows_are_stored_and_invalid_rows_reported_by_row_and_field(units, tmp_path):
    bad_id = "110101199003077777"
    path = _write(
        tmp_path,
        f"M1,Alice,{resident_id(seq=1)},13800000001,G001,2015-01-01,H1,1200.50",
        f"M2,Bob,{bad_id},13800000002,G001,2015-01-01,,",
        f"M3,Carol,{resident_id(seq=3)},12345,G001,2015-13-01,,",
        f"M4,Dan,{resident_id(seq=4)},,NOPE,2015-01-01,,",
        f"M5,Eve,{resident_id(seq=5)},,G002,2016-02-02,H1,0",
    )
    report = import_members(path, actor="system", engine=units)
    assert (report.created, report.rejected_rows) == (2, 3)
    found = {(p.row, p.field) for p in report.problems}
    assert found == {(3, "resident_id"), (4, "mobile"), (4, "join_date"), (5, "unit_code")}
    assert all(bad_id not in str(p) for p in report.problems)
    assert _count(units) == 2
    assert _count(units, Household) == 1


def test_stored_members_keep_no_resident_id_in_clear(units, tmp_path):
    number = resident_id(seq=7)
    import_members(_write(tmp_path, f"M7,Gao,{number},,G001,2015-01-01,,"), actor="system", engine=units)
    with transaction(units) as s:
        member = s.execute(select(Member)).scalar_one()
        stored = " ".join(str(v) for v in member.model_dump().values())
    assert number not in stored
    assert member.resident_id_masked == number[:6] + "********" + number[-4:]
    assert member.gender in ("M", "F") and member.birth_date.year == 1980


def test_importing_the_same_file_twice_changes_nothing(units, tmp_path):
    path = _write(tmp_path, f"M1,Alice,{resident_id(seq=1)},,G001,2015-01-01,,")
    import_members(path, actor="system", engine=units)
    again = import_members(path, actor="system", engine=units)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_changed_row_updates_the_member(units, tmp_path):
    import_members(_write(tmp_path, f"M1,Alice,{resident_id(seq=1)},,G001,2015-01-01,,"), actor="system", engine=units)
    report = import_members(_write(tmp_path, f"M1,Alice Wang,{resident_id(seq=1)},,G002,2015-01-01,,"), actor="system", engine=units)
    assert report.updated == 1


def test_the_same_person_under_two_member_numbers_is_refused(units, tmp_path):
    number = resident_id(seq=1)
    report = import_members(_write(tmp_path, f"M1,Alice,{number},,G001,2015-01-01,,",
                                   f"M9,Alice,{number},,G001,2015-01-01,,"), actor="system", engine=units)
    assert (report.created, [(p.row, p.field) for p in report.problems]) == (1, [(3, "resident_id")])
    later = import_members(_write(tmp_path, f"M8,Alice,{number},,G001,2015-01-01,,", name="b.csv"), actor="system", engine=units)
    assert later.problems[0].problem == "is already registered to another member number"


def test_a_json_file_is_accepted(units, tmp_path):
    path = tmp_path / "members.json"
    path.write_text(json.dumps({"members": [{"member_number": "J1", "name": "Ji", "resident_id": resident_id(seq=9),
                                             "unit_code": "G001", "join_date": "2020-01-01"}]}), encoding="utf-8")
    assert import_members(path, actor="system", engine=units).created == 1


@pytest.mark.parametrize("content,problem", [("", "missing column|empty"), ("a,b\n1,2\n", "missing column"),
                                             ("\xff\xfe", "UTF-8")])
def test_an_unusable_file_is_refused_as_a_whole(units, tmp_path, content, problem):
    path = tmp_path / "bad.csv"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(InputError, match=problem):
        import_members(path, actor="system", engine=units)
    assert _count(units) == 0
