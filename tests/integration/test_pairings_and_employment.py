"""Assistance pairings (帮扶结对) and employment help are recorded by the staff who arrange them and
counted against the annual plan in the monthly report."""

from datetime import date, datetime

import pytest
from sqlalchemy import text

from models.errors import InputError, NotAuthenticated, RuleViolation
from models.time import time_fixed_at
from services import assistance, households
from services.db import transaction
from services.reports import build_monthly_report
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff
from tests.integration.test_cli import cli  # noqa: F401 - the fixture

NOTES = "the father's leukaemia 白血病 treatment is going well"
JUNE = datetime(2026, 6, 30, 12, 0, tzinfo=get_settings().zone)


@pytest.fixture
def world(engine, tmp_path):
    factories.organisation(engine)
    factories.household_members(engine, tmp_path)
    households.register("H001", "deep", actor=as_staff("CW1"), reason="paper file 3", registered_on=date(2026, 1, 5),
                        engine=engine)
    return engine


def pair(engine, household="H001", since=date(2026, 3, 1), staff="CW1"):
    return assistance.start_pairing(household, helper_kind="model_worker", helper_name="张师傅 (劳模)",
                                    started_on=since, commitments=f"weekly visits; {NOTES}",
                                    actor=as_staff(staff), engine=engine)


def _plan_row(report, key):
    return next(r for r in report.section("targets").row_dicts() if r["key"] == key)


def test_a_pairing_with_its_visits_is_counted_against_the_plan_and_its_words_stored_encrypted(world):
    with time_fixed_at(JUNE):
        first = pair(world)
        assert assistance.record_visit(first, visited_on=date(2026, 4, 2), notes=NOTES, actor=as_staff("CW1"),
                                       engine=world) == 1
        assistance.end_pairing(first, ended_on=date(2026, 5, 31), reason="脱困 out of hardship",
                               actor=as_staff("CW1"), engine=world)
        households.register("H002", "relative", actor=as_staff("CW1"), reason="paper file 4", engine=world)
        pair(world, "H002", since=date(2026, 6, 1))
        report = build_monthly_report("2026-06", engine=world)
    assert _plan_row(report, "assistance_pairings")["actual"] == 2  # each was in force at some time this year
    assert report.section("assistance").rows[0][1:] == (1, 2)  # in force this month: the second only; this year: both
    with transaction(world) as s:
        stored = " ".join(s.execute(text("SELECT commitments FROM pairing")).scalars()) + " ".join(
            s.execute(text("SELECT notes FROM pairing_visit")).scalars())
    assert "白血病" not in stored and "leukaemia" not in stored


def test_a_pairing_is_made_only_with_a_registered_household_by_its_units_staff(world):
    with pytest.raises(RuleViolation, match="H002 is not in the hardship register"):
        pair(world, "H002")
    with pytest.raises(RuleViolation, match="recording a pairing needs the role caseworker or supervisor"):
        pair(world, staff="FI1")
    with pytest.raises(InputError, match="^started_on: is in the future"):
        pair(world, since=date(2099, 1, 1))
    with pytest.raises(NotAuthenticated):
        assistance.start_pairing("H001", helper_kind="unit", helper_name="城东物流", started_on=date(2026, 3, 1),
                                 commitments="a job for the son", actor="CW1", engine=world)


def test_a_visit_outside_the_pairings_days_or_a_second_end_is_refused(world):
    with time_fixed_at(JUNE):
        number = pair(world)
        with pytest.raises(InputError, match="^visited_on: falls outside the pairing's days"):
            assistance.record_visit(number, visited_on=date(2026, 2, 1), notes="early", actor=as_staff("CW1"),
                                    engine=world)
        assistance.end_pairing(number, ended_on=date(2026, 6, 1), reason="moved away", actor=as_staff("CW1"),
                               engine=world)
        with pytest.raises(RuleViolation, match="ended on 2026-06-01 already"):
            assistance.end_pairing(number, ended_on=date(2026, 6, 2), reason="again", actor=as_staff("CW1"),
                                   engine=world)


def test_training_and_reemployment_count_people_once_in_the_plan_year(world):
    with time_fixed_at(JUNE):
        for member, kind, day, detail in [("M0001", "training", date(2026, 3, 1), "电工培训 electrician course"),
                                          ("M0001", "training", date(2026, 4, 1), "叉车培训 forklift course"),
                                          ("M0003", "training", date(2025, 11, 1), "last year's course"),
                                          ("M0003", "reemployed", date(2026, 5, 10), "城东物流 warehouse"),
                                          ("M0002", "referral", date(2026, 2, 20), "春送岗位 job fair")]:
            assert assistance.record_employment(member, kind, happened_on=day, detail=detail, actor=as_staff("CW1"),
                                                engine=world)
        assert not assistance.record_employment("M0003", "reemployed", happened_on=date(2026, 5, 10),
                                                detail="城东物流 warehouse", actor=as_staff("CW1"), engine=world)
        report = build_monthly_report("2026-06", engine=world)
    assert (_plan_row(report, "trained")["actual"], _plan_row(report, "reemployed")["actual"]) == (1, 1)


def test_the_command_line_records_a_pairing_and_lists_it(cli, tmp_path):
    factories.organisation(cli.engine)
    factories.household_members(cli.engine, tmp_path)
    assert cli("households", "register", "H001", "--tier", "deep", "--as", "CW1", "--reason", "file").exit_code == 0
    started = cli("pairings", "start", "H001", "--helper-kind", "entrepreneur", "--helper", "李总",
                  "--commitments", "a job for the son", "--since", "2026-03-01", "--as", "CW1")
    assert started.exit_code == 0 and "pairing 1: household H001 paired with a entrepreneur" in started.output
    assert cli("pairings", "visit", "1", "--notes", "all well", "--on", "2026-03-05", "--as", "CW1").exit_code == 0
    listed = cli("pairings", "list", "--json")
    assert '"visits": 1' in listed.output and "a job for the son" not in listed.output
    bad = cli("employment", "record", "M0001", "promotion", "--detail", "x y", "--as", "CW1")
    assert bad.exit_code == 1 and "error: kind: must be one of referral, training, reemployed" in bad.output
