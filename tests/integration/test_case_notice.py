"""A student-aid case that comes in through ordinary intake goes on public notice (公示) like a
campaign's: approved only after the policy's working days, objections recorded meanwhile."""

from datetime import date, datetime

import pytest
from sqlalchemy import select, text

from models.cases import Case
from models.enums import CaseStatus, CaseType
from models.errors import GuardRefused, RuleViolation
from models.notices import CaseNotice
from models.policy import load_policy
from models.time import time_fixed_at
from services import approvals, audit, campaigns, ledger, pii
from services.case_files import case_text
from services.cases import load_case
from services.db import transaction
from services.notices import record_case_objection
from services.settings import get_settings
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship
from tests.integration.test_campaigns import STUDENT_DOCS, add_members
from tests.integration.test_campaigns import application as student_form
from tests.integration.test_hardship_intake_verification import application, registry_for

ZONE = get_settings().zone
TUESDAY = datetime(2026, 9, 1, 10, 0, tzinfo=ZONE)  # a working day; five working days end on Monday 7 September
DIAGNOSIS = "the father's leukaemia 白血病"


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=engine)
    return engine


def _at(day: int, hour: int = 10):
    return time_fixed_at(datetime(2026, 9, day, hour, 0, tzinfo=ZONE))


def student_case(engine, **changes) -> str:
    form = application(category="student_aid", student_level="university", requested_amount_yuan=None,
                       documents_provided=STUDENT_DOCS, applied_on="2026-09-01", **changes)
    with time_fixed_at(TUESDAY):
        number = intake_hardship(form, engine=engine)
        assert verify_hardship(number, registry_for(engine), engine=engine).status == CaseStatus.awaiting_approval
    return number


def case_history(number, engine):
    with transaction(engine) as s:
        return [(e.action, e.reason, e.actor) for e in audit.case_history(s, number)]


def _approve(engine, number):
    return approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=400_000, reason="admitted", engine=engine)


def test_a_student_aid_case_outside_a_campaign_is_approved_only_after_its_notice_has_ended(world):
    number = student_case(world)
    with transaction(world) as s:
        notice = s.get(CaseNotice, load_case(s, number).id)
        assert (notice.starts_on, notice.ends_on, notice.working_days, notice.policy_version) == (
            date(2026, 9, 1), date(2026, 9, 7), 5, "2026.1")
    opened = [reason for action, reason, _ in case_history(number, world) if action == "public_notice_opened"]
    assert opened == ["public notice 2026-09-01 to 2026-09-07 (5 working days)"]
    with _at(7, 23), pytest.raises(GuardRefused, match="on public notice until 2026-09-07: approve it once"):
        _approve(world, number)
    with transaction(world) as s:
        assert load_case(s, number).status == CaseStatus.awaiting_approval
    with _at(8, 9):
        assert _approve(world, number).status == CaseStatus.approved


def test_rejecting_a_case_on_notice_is_allowed_at_any_time(world):
    number = student_case(world)
    with _at(2):
        case = approvals.reject_case(number, approver=as_staff("AP1"), reason="the school year has not started",
                                   engine=world)
    assert case.status == CaseStatus.rejected


def test_a_living_relief_case_has_no_notice(world):
    number = intake_hardship(application(), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    with transaction(world) as s:
        assert s.get(CaseNotice, load_case(s, number).id) is None


def test_which_categories_go_on_notice_is_the_policys(world, tmp_path, monkeypatch):
    sample = get_settings().policy_file.read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    assert sample.rstrip().endswith('categories = ["student_aid"]')
    path.write_text(sample.rstrip().removesuffix('["student_aid"]') + '["student_aid", "living_relief"]\n',
                    encoding="utf-8")
    policy = load_policy(path)
    assert policy.versions[-1].public_notice.categories[-1] == "living_relief"
    with time_fixed_at(datetime(2026, 3, 2, 10, 0, tzinfo=ZONE)):
        number = intake_hardship(application(), engine=world)
        verify_hardship(number, registry_for(world), policy=policy, engine=world)
    with transaction(world) as s:
        assert s.get(CaseNotice, load_case(s, number).id).ends_on == date(2026, 3, 6)


def test_an_objection_is_recorded_while_the_notice_runs_stored_encrypted_and_shown_to_the_approver(world):
    number = student_case(world)
    with _at(3):
        notice = record_case_objection(number, text=f"a neighbour says {DIAGNOSIS} is cured",
                                       recorded_by=as_staff("CW1"), engine=world)
    assert notice.objections == 1
    with transaction(world) as s:
        stored = s.execute(text("SELECT objection_text FROM case_notice")).scalar_one()
    assert DIAGNOSIS not in stored and DIAGNOSIS in pii.open_text(stored)
    [(_, reason, actor)] = [e for e in case_history(number, world) if e[0] == "objection_recorded"]
    assert DIAGNOSIS not in str(reason) and actor == "CW1"
    assert DIAGNOSIS in case_text(number, actor=as_staff("AP1"), engine=world).objections


@pytest.mark.parametrize("day,staff,refusal", [
    (8, "CW1", "the public notice of HA-2026-000001 ended on 2026-09-07"),
    (3, "FI1", "recording an objection needs the role caseworker or supervisor"),
])
def test_an_objection_after_the_notice_or_by_someone_without_the_role_is_refused(world, day, staff, refusal):
    number = student_case(world)
    with _at(day), pytest.raises(RuleViolation, match=refusal):
        record_case_objection(number, text="late objection", recorded_by=as_staff(staff), engine=world)


def test_a_campaign_case_is_listed_in_its_campaigns_notice_not_in_one_of_its_own(world, tmp_path):
    add_members(world, tmp_path, range(101, 102))
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", opened_on=date(2026, 9, 1),
                              engine=world)
    path = tmp_path / "one.json"
    path.write_text(f"[{__import__('json').dumps(student_form(101), ensure_ascii=False)}]", encoding="utf-8")
    with time_fixed_at(TUESDAY):
        [number] = campaigns.attach_applications("student-aid-2026", path, submitted_by=as_staff("CW1"),
                                                 engine=world).attached
        campaigns.verify_cases([number], registry_for(world), engine=world)
    with transaction(world) as s:
        assert s.execute(select(CaseNotice)).first() is None
        assert load_case(s, number).status == CaseStatus.awaiting_approval
    with pytest.raises(RuleViolation, match="`unionaid campaigns object`"):
        record_case_objection(number, text="objection", recorded_by=as_staff("CW1"), engine=world)


@pytest.mark.parametrize("edit", ["DELETE FROM case_notice", "UPDATE case_notice SET ends_on = '2026-09-01'",
                                  "UPDATE case_notice SET objections = 0"])
def test_a_notice_cannot_be_cut_short_or_deleted_in_the_database(world, edit):
    number = student_case(world)
    with _at(3):
        record_case_objection(number, text="objection", recorded_by=as_staff("CW1"), engine=world)
    with pytest.raises(Exception, match="never|refused"), world.begin() as conn:  # noqa: PT011 - each database's own error
        conn.execute(text(edit))
    with transaction(world) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        assert s.get(CaseNotice, case.id).ends_on == date(2026, 9, 7)
