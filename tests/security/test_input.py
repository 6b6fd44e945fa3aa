"""Bad input, as a careless user or an attacker types it: every refusal names its field, never
repeats the value, never shows a traceback, and nothing is half-written. The bad inputs of the
trust review are explicit cases; a hypothesis fuzz runs over the intake and import files."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models.cases import Case
from models.errors import InputError
from models.identifiers import normalize_bank_card, normalize_mobile, parse_resident_id
from models.members import Member
from models.money import parse_yuan
from models.time import utcnow
from services import member_import
from services.settings import get_settings
from tests import factories
from tests.factories import bank_card, intake_hardship, resident_id
from tests.integration.test_cli import cli  # noqa: F401 - the fixture
from tests.integration.test_hardship_intake_verification import application

SECRET_ID = resident_id(seq=7)
NAME = "王建国"
DIAGNOSIS = "acute leukaemia 急性白血病"
SEEDED = (SECRET_ID, NAME, DIAGNOSIS, "13912345678")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


# --- identifiers -----------------------------------------------------------------------------


def test_an_id_written_in_full_width_digits_is_the_same_id():
    assert parse_resident_id(SECRET_ID.translate(FULL_WIDTH)).number == SECRET_ID
    assert normalize_mobile("１３９１２３４５６７８") == "13912345678"
    assert normalize_bank_card(bank_card(3).translate(FULL_WIDTH)) == bank_card(3)


@pytest.mark.parametrize("written", [SECRET_ID.translate(ARABIC_INDIC), SECRET_ID[:-1] + "\u0663",
                                     "১" * 18])
def test_digits_of_other_scripts_are_refused_by_field_without_the_value(written):
    with pytest.raises(InputError) as refused:
        parse_resident_id(written)
    assert str(refused.value) == "resident_id: must be 17 digits (0-9) followed by a digit or X"


def test_one_person_is_one_member_whatever_digits_their_id_is_written_in(engine, tmp_path):
    factories.world(engine, tmp_path)
    path = tmp_path / "again.csv"
    path.write_text("member_number,name,resident_id,unit_code,join_date\n"
                    f"M0099,Same Person,{resident_id(seq=1).translate(FULL_WIDTH)},G001,2020-01-01\n", encoding="utf-8")
    report = member_import.import_members(path, actor="system", engine=engine)
    assert [str(p) for p in report.problems] == ["row 2: resident_id: is already registered to another member number"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Member)).scalar_one() == 3


# --- amounts and dates -----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["21474836.48", "9" * 5000, "1e400", "99999999999"])
def test_an_amount_past_what_a_money_column_holds_is_refused_by_field(typed):
    with pytest.raises(InputError) as refused:
        parse_yuan(typed, "amount")
    assert str(refused.value) == "amount: must be at most ¥21,474,836.47"


def test_the_largest_amount_a_column_holds_is_taken():
    assert parse_yuan("21474836.47", "amount") == 2_147_483_647


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def _cases(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Case)).scalar_one()


@pytest.mark.parametrize("changes,expected", [
    ({"applied_on": "tomorrow"}, "applied_on: is in the future: give the day the application was received"),
    ({"applied_on": "2019-03-04"}, "applied_on: falls in 2019, for which there is no HA-LIVING programme; "
                                   "check the date, or a finance officer adds the programme"),
    ({"requested_amount_yuan": "99999999"}, "requested_amount_yuan"),
])
def test_a_date_or_an_amount_no_case_can_have_is_refused_by_field_and_nothing_is_stored(world, changes, expected):
    if changes.get("applied_on") == "tomorrow":
        changes = {"applied_on": (utcnow().astimezone(get_settings().zone).date() + timedelta(days=1)).isoformat()}
    with pytest.raises(Exception) as refused:  # noqa: PT011 - InputError or ValidationFailed, both by field
        intake_hardship(application(**changes), engine=world)
    assert str(refused.value).startswith(expected) or f"{expected}:" in str(refused.value)
    assert _cases(world) == 0


def test_reconcile_with_an_empty_month_is_refused_not_taken_as_last_month(cli):
    factories.organisation(cli.engine)
    result = cli("reconcile", "--month", "", "--as", "FI1")
    assert result.exit_code == 1 and "month" in result.output and "Traceback" not in result.output


# --- files -----------------------------------------------------------------------------------

FILES = {
    "JSON nested 200,000 deep": ("x.json", "[" * 200_000 + "]" * 200_000, "file: is JSON nested too deeply"),
    "a 5,000-digit number": ("x.json", '{"requested_amount_yuan": ' + "9" * 5000 + "}", "file: holds a number too long"),
    "an empty CSV": ("x.csv", "", "file: is empty"),
    "a header and no rows": ("x.csv", "caseworker,resident_id\n", "file: has no rows"),
    "an empty JSON list": ("x.json", "[]", "file: has no rows"),
    "a column named twice": ("x.csv", "reason,reason\na,b\n", "file: column reason appears twice"),
    "a row longer than the header": ("x.csv", "reason\na,b\n", "file: row 2 has more values than the header"),
    "not UTF-8": ("x.csv", None, "file: is not UTF-8 text"),
}


@pytest.mark.parametrize("name,content,expected", FILES.values(), ids=FILES.keys())
def test_a_file_that_cannot_be_read_is_refused_by_name(cli, tmp_path, name, content, expected):
    factories.world(cli.engine, tmp_path)
    factories.enrol(cli.engine, "CW1")
    path = tmp_path / name
    if content is None:
        path.write_bytes(f"reason\n{DIAGNOSIS}\n".encode("gb18030"))
    else:
        path.write_text(content, encoding="utf-8")
    for args in (("intake", "hardship", str(path), "--no-process", "--as", "CW1"),
                 ("members", "import", str(path), "--as", "system")):
        result = cli(*args)
        assert result.exit_code == 1, result.output
        assert f"error: {expected}" in result.output and "Traceback" not in result.output
    assert _cases(cli.engine) == 0


def test_an_id_typed_where_a_field_name_belongs_is_refused_without_repeating_it(cli, tmp_path):
    factories.world_once(cli.engine, tmp_path)
    form = application().model_dump(mode="json")
    form["household"][0][SECRET_ID] = "1"
    form[NAME] = "x"
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    result = cli("intake", "hardship", str(path), "--no-process", "--as", "CW1")
    assert result.exit_code == 1 and SECRET_ID not in result.output and NAME not in result.output
    assert "row 1: household.0.?: Extra inputs are not permitted" in result.output
    assert "row 1: ?: Extra inputs are not permitted" in result.output


def test_a_directory_given_as_the_file_is_refused_by_name(cli, tmp_path):
    result = cli("members", "import", str(tmp_path), "--as", "system")
    assert result.exit_code == 1 and "error: file: does not exist or is not a file" in result.output


def test_a_nul_byte_or_an_over_long_value_in_an_import_is_refused_by_row_and_field(engine, tmp_path):
    factories.organisation(engine)
    path = tmp_path / "members.csv"
    path.write_text("member_number,name,resident_id,unit_code,join_date\n"
                    f"M0001,Nul\x00Name,{resident_id(seq=1)},G001,2020-01-01\n"
                    f"{'M' * 40},{NAME * 40},{resident_id(seq=2)},G001,2020-01-01\n", encoding="utf-8")
    report = member_import.import_members(path, actor="system", engine=engine)
    assert [str(p) for p in report.problems] == ["row 2: name: contains a NUL character",
                                                 "row 3: member_number: is longer than 32 characters",
                                                 "row 3: name: is longer than 100 characters"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Member)).scalar_one() == 0


# --- fuzz ------------------------------------------------------------------------------------

BAD_TEXT = st.sampled_from(["", " ", "\x00", "x" * 5000, SECRET_ID, SECRET_ID.translate(ARABIC_INDIC),
                            SECRET_ID.translate(FULL_WIDTH), NAME, DIAGNOSIS, "13912345678", "²" * 18, "1e400",
                            "9" * 400, "-1", "0", "1500.005", "NaN", "Infinity", "2026-02-30", "9999-12-31"])
ANY_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), BAD_TEXT, st.text(max_size=30)),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                         max_leaves=8)
FIELDS = list(application().model_dump(mode="json"))
PROBLEM = re.compile(r"^\s+(row \d+: )?[A-Za-z_?][\w.\[\]?]*: ")


def _applications() -> st.SearchStrategy[dict]:
    base = application().model_dump(mode="json")
    return st.dictionaries(st.sampled_from(FIELDS + ["extra_field"]), ANY_VALUE, max_size=4).map(
        lambda changes: {**base, **changes})


class Tally:
    """What a fuzz test tried and how each input was answered, recorded as the run's figures
    (tests/conftest.py prints them at the end): the closing note of the trust issue quotes them."""

    def __init__(self, request: pytest.FixtureRequest, path: str) -> None:
        self.request, self.path = request, path
        self.files = self.rows = self.taken = self.refused = 0

    def count(self, rows: int, result) -> None:
        self.files += 1
        self.rows += rows
        self.refused += result.exit_code == 1
        self.taken += result.exit_code == 0
        line = (f"fuzz {self.path} ({self.request.node.callspec.id}): {self.files} files, {self.rows} rows tried; "
                f"{self.taken} taken, {self.refused} refused by field; 0 tracebacks, 0 internal errors, 0 echoes")
        props = self.request.node.user_properties
        props[:] = [p for p in props if p[0] != "figures"] + [("figures", line)]


def _check_answer(result, engine, before: int) -> None:
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for value in SEEDED:
        assert value not in result.output
    taken = result.output.count(" submitted")
    assert _cases(engine) == before + taken  # nothing half-written: every case stored was reported
    if result.exit_code == 1:
        lines = [line for line in result.output.splitlines() if line.strip() and " submitted" not in line]
        assert all(PROBLEM.match(line) or line.startswith("error: ") for line in lines), result.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forms=st.lists(_applications(), min_size=1, max_size=3), as_csv=st.booleans())
def test_fuzzed_applications_are_taken_or_refused_by_field_never_echoed_never_half_written(cli, tmp_path, request,
                                                                                            forms, as_csv):
    tally = _tally(request, "intake hardship")
    factories.world_once(cli.engine, tmp_path)
    path = tmp_path / ("fuzz.csv" if as_csv else "fuzz.json")
    if as_csv:
        header = sorted({key for form in forms for key in form})
        rows = [",".join(json.dumps(str(form.get(k, "")), ensure_ascii=False) for k in header) for form in forms]
        path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    else:
        path.write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    before = _cases(cli.engine)
    result = cli("intake", "hardship", str(path), "--no-process", "--as", "CW1")
    _check_answer(result, cli.engine, before)
    tally.count(len(forms), result)


_TALLIES: dict[str, Tally] = {}


def _tally(request: pytest.FixtureRequest, path: str) -> Tally:
    """One tally per test and database, kept across the examples hypothesis runs."""
    key = request.node.nodeid
    if key not in _TALLIES or _TALLIES[key].request is not request:
        _TALLIES[key] = Tally(request, path)
    return _TALLIES[key]


MEMBER_COLUMNS = ["member_number", "name", "resident_id", "mobile", "unit_code", "join_date", "household_number",
                  "relation", "bank_card", "status"]


def _valid_member(n: int) -> dict[str, str]:
    return {"member_number": f"M{n:04d}", "name": f"Member {n}", "resident_id": resident_id(seq=n),
            "mobile": f"1390013{n:04d}", "unit_code": "G001", "join_date": "2020-01-01", "household_number": f"H{n:04d}",
            "relation": "self", "bank_card": bank_card(n), "status": "active"}


def _member_rows() -> st.SearchStrategy[dict[str, str]]:
    """A valid member row with up to two of its values made bad: most files hold good rows and bad
    ones side by side, so what is taken is checked as well as what is refused."""
    return st.integers(100, 999).flatmap(lambda n: st.dictionaries(
        st.sampled_from(MEMBER_COLUMNS), st.one_of(BAD_TEXT, st.text(max_size=20)), max_size=2).map(
        lambda changes: {**_valid_member(n), **changes}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_member_rows(), min_size=1, max_size=3))
def test_fuzzed_member_files_are_imported_or_refused_by_field_never_echoed(cli, tmp_path, request, rows):
    tally = _tally(request, "members import")
    factories.world_once(cli.engine, tmp_path)
    path = tmp_path / "members.csv"
    lines = [",".join(MEMBER_COLUMNS)] + [",".join(json.dumps(r[c], ensure_ascii=False) for c in MEMBER_COLUMNS)
                                          for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with cli.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Member)).scalar_one()
    result = cli("members", "import", str(path), "--as", "system")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for value in SEEDED:
        assert value not in result.output
    created = re.search(r"(\d+) created", result.output)
    with cli.engine.connect() as conn:  # nothing half-written: every member stored was reported
        after = conn.execute(select(func.count()).select_from(Member)).scalar_one()
    assert after == before + (int(created.group(1)) if created else 0), result.output
    tally.count(len(rows), result)


def _csv(columns: list[str], rows: list[dict]) -> str:
    lines = [",".join(columns)] + [",".join(json.dumps(r[c], ensure_ascii=False) for c in columns) for r in rows]
    return "\n".join(lines) + "\n"


def _answered_by_field(result) -> None:
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for value in SEEDED:
        assert value not in result.output
    if result.exit_code == 1:
        assert any(PROBLEM.match(line) or re.match(r"^error: (row \d+: )?[a-z_]+: ", line)
                   for line in result.output.splitlines()), result.output


REGISTER_COLUMNS = ["household_number", "tier", "reason", "since", "case"]
STATEMENT_COLUMNS = ["reference", "provider_id", "status", "time", "amount_yuan", "payee_masked"]
CAMPAIGN_FIELDS = ["applicant_member_number", "resident_id", "student_level", "requested_amount_yuan",
                   "documents_provided", "applied_on", "household", "school_fee_yuan"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({c: st.one_of(BAD_TEXT, st.text(max_size=20), st.sampled_from(
    ["H001", "deep", "relative", "2026-01-05", "HA-2026-000001"])) for c in REGISTER_COLUMNS}), min_size=1, max_size=3))
@example(rows=[{"household_number": SECRET_ID, "tier": "deep", "reason": "file", "since": "", "case": ""},
               {"household_number": NAME, "tier": "deep", "reason": "file", "since": "", "case": SECRET_ID}])
def test_fuzzed_register_files_are_imported_or_refused_by_field_never_echoed(cli, tmp_path, request, rows):
    tally = _tally(request, "households import")
    factories.world_once(cli.engine, tmp_path)
    path = tmp_path / "register.csv"
    path.write_text(_csv(REGISTER_COLUMNS, rows), encoding="utf-8")
    result = cli("households", "import", str(path), "--as", "CW1")
    _answered_by_field(result)
    tally.count(len(rows), result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({c: st.one_of(BAD_TEXT, st.text(max_size=20), st.sampled_from(
    ["HA-2026-000001-P1", "sbx-1", "succeeded", "2026-03-05T10:00:00+08:00", "18.00", "6214****0001"]))
    for c in STATEMENT_COLUMNS}), min_size=1, max_size=3))
def test_fuzzed_statement_files_are_reconciled_or_refused_by_field_never_echoed(cli, tmp_path, request, rows):
    from models.reconciliation import ReconciliationRun

    tally = _tally(request, "reconcile --file")
    factories.world_once(cli.engine, tmp_path)
    path = tmp_path / "statement.csv"
    path.write_text(_csv(STATEMENT_COLUMNS, rows), encoding="utf-8")
    with cli.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one()
    result = cli("reconcile", "--month", "2026-03", "--file", str(path), "--as", "FI1")
    _answered_by_field(result)
    with cli.engine.connect() as conn:  # a refused statement leaves no run behind
        after = conn.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one()
    assert after == before if result.exit_code == 1 else after <= before + 1, result.output
    tally.count(len(rows), result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.dictionaries(st.sampled_from(CAMPAIGN_FIELDS), ANY_VALUE, max_size=3), min_size=1,
                        max_size=3))
def test_fuzzed_campaign_applications_are_attached_or_refused_by_field_never_echoed(cli, tmp_path, request, changes):
    from models.campaigns import Campaign
    from services import campaigns, ledger
    from tests.integration.test_campaigns import application as student_application

    tally = _tally(request, "campaigns attach")
    factories.world_once(cli.engine, tmp_path)
    with cli.engine.connect() as conn:
        first = conn.execute(select(Campaign)).first() is None
    if first:
        ledger.add_programme("HA-STUDENT", "Student aid", "hardship", 2026, 5_000_000, engine=cli.engine)
        campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=cli.engine)
    forms = [{**student_application(1 + i % 3), **change} for i, change in enumerate(changes)]
    path = tmp_path / "students.json"
    path.write_text(json.dumps(forms, ensure_ascii=False), encoding="utf-8")
    before = _cases(cli.engine)
    result = cli("campaigns", "attach", "student-aid-2026", str(path), "--as", "CW1")
    _answered_by_field(result)
    attached = re.search(r"(\d+) attached,", result.output)
    assert _cases(cli.engine) == before + (int(attached.group(1)) if attached else 0), result.output
    tally.count(len(forms), result)


def test_the_same_application_twice_in_one_file_or_in_two_makes_one_case(cli, tmp_path):
    factories.world_once(cli.engine, tmp_path)
    form = application().model_dump(mode="json")
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([form, form], ensure_ascii=False), encoding="utf-8")
    once = cli("intake", "hardship", str(path), "--no-process", "--as", "CW1")
    assert once.exit_code == 1 and "HA-2026-000001 submitted" in once.output
    assert ("row 2: applicant_member_number: has a living_relief application for 2026 already: HA-2026-000001 "
            "(submitted); add documents to it, or withdraw it first") in once.output
    path.write_text(json.dumps(form, ensure_ascii=False), encoding="utf-8")
    again = cli("intake", "hardship", str(path), "--no-process", "--as", "CW1")
    assert again.exit_code == 1 and "already: HA-2026-000001" in again.output
    assert _cases(cli.engine) == 1
