"""The hardship household register (建档): who may change it, how it is audited, what it decides."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.enums import CaseStatus, CaseType, Role
from models.errors import InputError, NotFound, RuleViolation, ValidationFailed
from models.policy import Tier
from services import households, ledger, org
from services.cases import load_case, transition_case
from services.db import transaction
from services.settings import local_today
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship
from tests.integration.test_campaigns import STUDENT_DOCS
from tests.integration.test_hardship_intake_verification import application, registry_for


@pytest.fixture
def world(engine, tmp_path):
    """The usual organisation; M0001 and M0002 share household H001 of G001, M0003 is in H002."""
    factories.organisation(engine)
    factories.household_members(engine, tmp_path)
    org.add_staff("CW7", "Caseworker of G002", "G002", [Role.caseworker], engine=engine)
    return engine


def events(engine, action):
    with transaction(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def test_a_caseworker_registers_a_household_of_their_unit_and_the_register_lists_it(world):
    said = households.register("H001", "deep", actor=as_staff("CW1"), reason="paper file 2025-017", engine=world)
    assert said == f"household H001 registered as deep from {local_today().isoformat()}"
    [entry] = households.list_register(engine=world)
    assert (entry.household_number, entry.unit, entry.tier, entry.self_member, entry.people) == \
        ("H001", "G001", Tier.deep, "M0001", 2)
    [event] = events(world, "household_registered")
    assert (event.actor, event.reason) == ("CW1", "paper file 2025-017")
    assert event.payload["household"] == "H001" and event.payload["tier"] == "deep"
    assert {e.household_number for e in households.list_register(include_unregistered=True, engine=world)} == \
        {"H001", "H002"}


def test_registering_the_same_tier_again_changes_nothing_and_another_tier_is_a_recorded_change(world):
    households.register("H001", "relative", actor=as_staff("CW1"), reason="file", engine=world)
    assert "already registered" in households.register("H001", "relative", actor=as_staff("CW1"), reason="again", engine=world)
    assert len(events(world, "household_registered")) == 1
    assert "moved from relative to deep" in households.register("H001", "deep", actor=as_staff("SU1"), reason="worse",
                                                                  engine=world)
    [change] = events(world, "household_tier_changed")
    assert change.payload["previous_tier"] == "relative" and change.actor == "SU1"


def test_only_caseworkers_and_supervisors_of_the_unit_or_the_district_change_the_register(world):
    with pytest.raises(RuleViolation, match="belongs to G002"):
        households.register("H001", "deep", actor=as_staff("CW7"), reason="file", engine=world)
    with pytest.raises(RuleViolation, match="needs the role caseworker or supervisor; FI1 does not have it"):
        households.register("H001", "deep", actor=as_staff("FI1"), reason="file", engine=world)
    with pytest.raises(NotFound, match="staff member NOBODY"):
        households.register("H001", "deep", actor=as_staff("NOBODY"), reason="file", engine=world)
    with pytest.raises(NotFound, match="household H999"):
        households.register("H999", "deep", actor=as_staff("CW1"), reason="file", engine=world)
    assert households.list_register(engine=world) == []
    households.register("H001", "deep", actor=as_staff("MD1"), reason="district caseworker", engine=world)


def test_bad_register_input_names_the_field(world):
    with pytest.raises(InputError, match="tier: must be one of deep, relative, accident"):
        households.register("H001", "poorest", actor=as_staff("CW1"), reason="file", engine=world)
    with pytest.raises(InputError, match="reason: is required"):
        households.register("H001", "deep", actor=as_staff("CW1"), reason="  ", engine=world)
    with pytest.raises(InputError, match="registered_on: must not be in the future"):
        households.register("H001", "deep", actor=as_staff("CW1"), reason="file", engine=world,
                            registered_on=local_today() + timedelta(days=1))
    assert households.list_register(engine=world) == []


def test_a_case_given_as_evidence_must_be_the_households_own_verified_case_for_that_tier(world):
    number = intake_hardship(application(), engine=world)  # M0001, household H001, deep
    with pytest.raises(RuleViolation, match="has not passed verification"):
        households.register("H001", "deep", actor=as_staff("CW1"), reason="verified", case_number=number, engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    with pytest.raises(RuleViolation, match="not a case of household H002"):
        households.register("H002", "deep", actor=as_staff("CW1"), reason="verified", case_number=number, engine=world)
    with pytest.raises(RuleViolation, match="claims the deep tier, not relative"):
        households.register("H001", "relative", actor=as_staff("CW1"), reason="verified", case_number=number, engine=world)
    households.register("H001", "deep", actor=as_staff("CW1"), reason="verified", case_number=number, engine=world)
    assert events(world, "household_registered")[0].payload["evidence_case"] == number


def test_a_household_leaves_the_register_with_a_reason_and_the_trail_keeps_its_history(world):
    households.register("H001", "accident", actor=as_staff("CW1"), reason="flood", engine=world)
    with pytest.raises(InputError, match="reason"):
        households.deregister("H001", actor=as_staff("CW1"), reason="", engine=world)
    assert "left the register (was accident)" in households.deregister("H001", actor=as_staff("CW1"), reason="re-employed",
                                                                        engine=world)
    assert "is not in the register" in households.deregister("H001", actor=as_staff("CW1"), reason="again", engine=world)
    assert households.list_register(engine=world) == []
    assert [e.payload["previous_tier"] for e in events(world, "household_deregistered")] == ["accident"]


def test_verification_takes_a_registered_file_from_the_register_on_the_application_date(world):
    applied_on = date(2026, 3, 2)
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=world)
    student = application(category="student_aid", student_level="university", requested_amount_yuan=None,
                          documents_provided=STUDENT_DOCS, applied_on=applied_on.isoformat())

    def verified_amount() -> int:
        number = intake_hardship(student, engine=world)
        assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
        with transaction(world) as s:
            case = load_case(s, number)
            amount = case.requested_fen
        transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="next try", engine=world)
        return amount

    assert verified_amount() == 400_000  # not registered: the amount for other households
    households.register("H001", "deep", actor=as_staff("CW1"), reason="file", registered_on=applied_on + timedelta(days=1),
                        engine=world)
    assert verified_amount() == 400_000  # registered only after the application was received
    households.deregister("H001", actor=as_staff("CW1"), reason="reset", engine=world)
    households.register("H001", "deep", actor=as_staff("CW1"), reason="file", registered_on=applied_on, engine=world)
    assert verified_amount() == 500_000  # registered on the day: the higher amount


def test_a_form_that_still_ticks_a_registered_file_is_refused_naming_who_decides():
    with pytest.raises(ValidationFailed, match="registered_hardship_file: leave it out: the hardship register decides"):
        application(registered_hardship_file=True)


def test_a_paper_register_is_carried_over_from_a_file_row_by_row(world, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("household_number,tier,reason,since,case\n"
                    "H001,deep,paper file 2025-017,2025-03-01,\n"
                    "H002,poorest,paper file 2025-018,,\n"
                    "H999,deep,paper file 2025-019,,\n"
                    "H002,relative,paper file 2025-018,1 March,\n", encoding="utf-8")
    report = households.import_register(path, actor=as_staff("CW1"), engine=world)
    assert report.changed == ["household H001 registered as deep from 2025-03-01"]
    assert [str(p) for p in report.problems] == [
        "row 3: tier: must be one of deep, relative, accident",
        "row 4: refused: household H999 does not exist",
        "row 5: since: must be a date as YYYY-MM-DD"]
    assert report.ignored_columns == []
    again = households.import_register(path, actor=as_staff("CW1"), engine=world)
    assert (again.changed, again.unchanged) == ([], 1)
    assert len(events(world, "household_registered")) == 1
