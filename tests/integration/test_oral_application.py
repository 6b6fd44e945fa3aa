"""An oral application (口头申请), recorded on the spot: the record has its required parts, and a
complete one stands in for the written application form, as the policy says."""

import json
from datetime import timedelta

import pytest

from models.enums import CaseStatus
from models.errors import InputError, ValidationFailed
from models.time import utcnow
from services.case_files import case_text
from services.hardship_files import read_applications
from services.settings import get_settings
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship, oral_record
from tests.integration.test_hardship_intake_verification import LIVING_DOCS, application, registry_for

WITHOUT_THE_FORM = [d for d in LIVING_DOCS if d != "application_form"]


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def oral(**record_changes):
    return application(oral_application=True, oral_record=oral_record(**record_changes),
                       documents_provided=WITHOUT_THE_FORM)


@pytest.mark.parametrize("changes,expected", [
    ({"matter": "x"}, "oral_record.matter: String should have at least 2 characters"),
    ({"applicant": ""}, "oral_record.applicant: String should have at least 2 characters"),
    ({"applicant_confirmed": False}, "oral_record.applicant_confirmed: read the record back to the applicant"),
    ({"recorded_at": "2026-03-02T10:30:00"}, "oral_record.recorded_at: give the time with its offset"),
])
def test_a_record_missing_a_required_part_is_refused_by_field(changes, expected):
    with pytest.raises(ValidationFailed) as refused:
        oral(**changes)
    assert any(str(p).startswith(expected) for p in refused.value.problems), refused.value.problems


def test_an_oral_application_without_its_record_is_refused_naming_the_parts():
    with pytest.raises(ValidationFailed, match="oral_record: an oral application is recorded on the spot: applicant"):
        application(oral_application=True)


def test_a_complete_record_stands_in_for_the_written_form_and_the_case_goes_on_to_approval(world):
    number = intake_hardship(oral(), engine=world)
    outcome = verify_hardship(number, registry_for(world), engine=world)
    assert (outcome.status, outcome.missing_documents) == (CaseStatus.awaiting_approval, ())


def test_a_written_application_without_the_form_still_waits_for_it(world):
    number = intake_hardship(application(documents_provided=WITHOUT_THE_FORM), engine=world)
    outcome = verify_hardship(number, registry_for(world), engine=world)
    assert (outcome.status, outcome.missing_documents) == (CaseStatus.needs_information, ("application_form",))


@pytest.mark.parametrize("changes,field", [({"recorded_by": "NOBODY"}, "oral_record.recorded_by"),
                                           ({"recorded_at": "2099-01-01T09:00:00+08:00"}, "oral_record.recorded_at")])
def test_a_record_by_nobody_on_the_staff_or_from_the_future_is_refused(world, changes, field):
    with pytest.raises(InputError, match=f"^{field}: "):
        intake_hardship(oral(**changes), engine=world)


def test_the_day_received_is_the_day_recorded_when_none_is_given(world):
    yesterday = (utcnow() - timedelta(days=1)).astimezone(get_settings().zone).replace(microsecond=0).isoformat()
    form = application(oral_application=True, oral_record=oral_record(recorded_at=yesterday), applied_on=None)
    number = intake_hardship(form, engine=world)
    text = case_text(number, actor=as_staff("CW1"), engine=world)
    assert "applies for: living relief for the household" in text.oral_record
    assert f"recorded at {yesterday} by CW1; confirmed by the applicant" in text.oral_record


def test_a_csv_row_gives_the_records_parts_as_columns_of_their_own(tmp_path):
    form = json.loads(oral().model_dump_json())
    record = form.pop("oral_record")
    columns = {**{k: v for k, v in form.items() if v is not None and not isinstance(v, list | dict)},
               **{f"oral_record.{k}": str(v) for k, v in record.items()},
               "documents_provided": ";".join(WITHOUT_THE_FORM), "household": "self:A:600;child:B:0"}
    path = tmp_path / "oral.csv"
    path.write_text(",".join(columns) + "\n" + ",".join(json.dumps(str(v), ensure_ascii=False) for v in columns.values())
                    + "\n", encoding="utf-8")
    applications, problems = read_applications(path)
    assert problems == []
    [(_, parsed)] = applications
    assert parsed.oral_record.applicant_confirmed and parsed.oral_record.recorded_by == "CW1"


def test_a_csv_row_gives_students_and_a_sudden_event_in_columns_too(tmp_path):
    header = ("caseworker,applicant_member_number,resident_id,category,tier_claimed,household,reason,"
              "documents_provided,applied_on,students,sudden_event.kind,sudden_event.happened_on")
    row = (f"CW1,M0001,{factories.resident_id(seq=1)},student_aid,accident,self:A:600;child:B:0,flood,"
           "application_form;income_proof,2026-09-01,王小明:示例大学:大一:university;王小红:示例职校:中二:vocational,"
           "disaster,2026-08-20")
    path = tmp_path / "students.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    applications, problems = read_applications(path)
    assert problems == []
    [(_, parsed)] = applications
    assert [s.level.value for s in parsed.students] == ["university", "vocational"]
    assert parsed.sudden_event.kind.value == "disaster"
    path.write_text(header + "\n" + row.replace(":大一:university", ":university") + "\n", encoding="utf-8")
    _, problems = read_applications(path)
    assert [str(p) for p in problems] == ["row 2: students: write each student as name:school:grade:level"]
