"""Recording things from the command line: `cases documents` and `units add`.

Bad input gets one `error:` line naming the field, exit 1, no traceback, and nothing is stored.
"""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, select, update

from models.audit import AuditEvent
from models.cases import Case, HardshipDetail
from models.enums import CaseStatus, Role, UnitLevel
from models.intake import parse_application
from models.org import Staff, Unit
from services import org
from services.cases import transition_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff, intake_hardship, resident_id
from tests.integration.test_cli import _one_line_error, cli  # noqa: F401 - the fixture

DOCS = ["application_form", "resident_id", "membership_proof", "household_register", "income_proof"]


@pytest.fixture
def offline(cli, tmp_path):  # noqa: F811 - cli is the imported fixture
    """The CLI on a seeded database, with no Prefect server to wake (even when a test server is up)."""
    factories.world(cli.engine, tmp_path)
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        yield cli


def waiting_for_information(engine) -> str:
    """A hardship case whose verification asked for the missing documents."""
    number = intake_hardship(parse_application({
        "caseworker": "CW2", "applicant_member_number": "M0001", "resident_id": resident_id(seq=1),
        "category": "living_relief", "tier_claimed": "deep",
        "household": [{"name": "A", "relation": "self", "monthly_income_yuan": "600"}],
        "requested_amount_yuan": "1500", "reason": "factory closed", "documents_provided": DOCS[:2],
        "months_below_line": 8, "applied_on": "2026-03-02"}), engine=engine)
    transition_case(number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(number, CaseStatus.needs_information, actor="system", reason="documents missing", engine=engine)
    return number


def case_state(engine, number: str) -> tuple[CaseStatus, int, list[str], int]:
    """Status, version, documents on file and audit events of the case."""
    with transaction(engine) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        detail = s.get(HardshipDetail, case.id)
        events = s.execute(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.case_number == number)).scalar_one()
        return case.status, case.version, list(detail.facts["documents"]), events


# --- unionaid cases documents ----------------------------------------------------------------------


def test_documents_received_are_recorded_and_the_case_waiting_for_them_continues(offline):
    number = waiting_for_information(offline.engine)
    result = offline("cases", "documents", number, *DOCS[2:], "--as", "CW2")
    assert result.exit_code == 0, result.output
    assert f"{number}: verifying" in result.output
    assert "carries on at its next run" in result.output  # no Prefect here: the next run picks it up
    status, _, documents, _ = case_state(offline.engine, number)
    assert status == CaseStatus.verifying
    assert documents == sorted(DOCS)
    with transaction(offline.engine) as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.case_number == number)
                           .order_by(AuditEvent.seq)).all()
    assert [tuple(e) for e in events[-2:]] == [("documents_added", "CW2"), ("information_received", "CW2")]


@pytest.mark.parametrize("kind", ["Income Proof", "收入证明", "income-proof", "11010519800101001X", "a" * 41])
def test_a_bad_document_name_is_one_line_naming_the_field_and_nothing_is_recorded(offline, kind):
    number = waiting_for_information(offline.engine)
    before = case_state(offline.engine, number)
    result = offline("cases", "documents", number, "income_proof", kind, "--as", "CW2")
    _one_line_error(result, "documents")
    assert kind not in result.output
    assert case_state(offline.engine, number) == before


def test_documents_are_recorded_only_by_an_existing_active_staff_member(offline):
    number = waiting_for_information(offline.engine)
    org.add_staff("CW9", "Former caseworker", "G001", [Role.caseworker], engine=offline.engine)
    with transaction(offline.engine) as s:
        s.execute(update(Staff).where(Staff.staff_number == "CW9").values(active=False))
    before = case_state(offline.engine, number)
    _one_line_error(offline("cases", "documents", number, "income_proof", "--as", "NOBODY"), "NOBODY", "does not exist")
    _one_line_error(offline("cases", "documents", number, "income_proof", "--as", "CW9"), "CW9", "not active")
    assert case_state(offline.engine, number) == before


def test_documents_for_a_case_already_decided_are_refused_in_one_line(offline):
    number = waiting_for_information(offline.engine)
    transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW2"), reason="applicant withdrew", engine=offline.engine)
    _one_line_error(offline("cases", "documents", number, "income_proof", "--as", "CW2"),
                    number, "withdrawn")


# --- unionaid units add -----------------------------------------------------------------------------


def units(engine) -> dict[str, tuple[UnitLevel, str | None]]:
    with transaction(engine) as s:
        rows = s.execute(select(Unit)).scalars().all()
        codes = {u.id: u.code for u in rows}
        return {u.code: (u.level, codes.get(u.parent_id)) for u in rows}


def test_units_add_records_a_grassroots_union_under_its_district(cli):  # noqa: F811
    factories.organisation(cli.engine)
    result = cli("units", "add", "G004", "某某公司工会", "--level", "grassroots", "--parent", "D000")
    assert result.exit_code == 0, result.output
    assert "unit G004 added" in result.output
    assert units(cli.engine)["G004"] == (UnitLevel.grassroots, "D000")
    assert "G004" in cli("units", "list").output
    with transaction(cli.engine) as s:
        added = s.execute(select(AuditEvent).where(AuditEvent.action == "unit_added")
                          .order_by(AuditEvent.seq.desc())).scalars().first()
    assert added.payload == {"unit": "G004", "level": "grassroots"}


@pytest.mark.parametrize("args,fragments", [
    (("G004", "X", "--level", "county", "--parent", "D000"), ("level", "grassroots or district")),
    (("G004", "X", "--level", "grassroots", "--parent", "D999"), ("parent", "D999", "does not exist")),
    (("G001", "X", "--level", "grassroots", "--parent", "D000"), ("code", "G001", "already exists")),
    (("  ", "X", "--level", "district"), ("code", "is required")),
])
def test_bad_unit_input_is_one_line_naming_the_field_and_adds_nothing(cli, args, fragments):  # noqa: F811
    factories.organisation(cli.engine)
    before = units(cli.engine)
    _one_line_error(cli("units", "add", *args), *fragments)
    assert units(cli.engine) == before
