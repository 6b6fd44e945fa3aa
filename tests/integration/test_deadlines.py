"""Case clocks in the database: opened with the case, met by its moves, breached once by the
deadlines run on the first day after their last day, with the move the clock names. The clock is
moved by the test (``time_fixed_at``), never the wall time."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from casetypes.mediation import service
from casetypes.mediation.form import parse_mediation, parse_terms
from models.audit import AuditEvent
from models.clocks import Deadline, DeadlineState
from models.enums import CaseStatus, CaseType
from models.time import time_fixed_at
from services import deadline_runs
from services.audit import verify_chain
from services.cases import transition_case
from services.db import transaction
from tests import factories, mediation
from tests.factories import acting, as_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def received(engine, day: date, worker: int = 41) -> str:
    """A mediation application received on ``day`` (by the G001 station), not yet checked."""
    application = parse_mediation(mediation.form(received_on=day.isoformat(),
                                                 worker={"name": "李四", "resident_id": factories.resident_id(seq=worker)}))
    with time_fixed_at(at(day)):
        return service.intake_mediation(application, as_staff("CW1"), engine=engine)


def move(engine, number: str, to: CaseStatus, day: date) -> None:
    """The case's next step on ``day``, as the station's staff (MD2) take it."""
    with time_fixed_at(at(day)):
        if to == CaseStatus.awaiting_approval:
            service.verify_mediation(number, engine=engine)
        elif to == CaseStatus.accepted:
            service.accept_case(number, by=as_staff("MD2"), mediator="MD2", employer_consents=True, engine=engine)
        elif to == CaseStatus.in_mediation:
            service.record_session(number, by=as_staff("MD2"), held_on=day, attendees="双方", summary="陈述",
                                   next_step="再议", engine=engine)
        else:
            transition_case(number, to, actor=acting("system"), reason="as recorded", engine=engine)


def agree(engine, number: str, day: date) -> None:
    with time_fixed_at(at(day)):
        service.draft_agreement(number, parse_terms({"waived": ["其余请求"]}), by=as_staff("MD2"), engine=engine)
        for mark in ("worker", "employer", "mediator", "seal"):
            service.sign_agreement(number, mark, on=day, by=as_staff("MD2"), engine=engine)


def clocks_of(engine, number: str) -> dict[str, tuple[DeadlineState, date]]:
    from models.cases import Case

    with transaction(engine) as s:
        rows = s.execute(select(Deadline).join(Case, Case.id == Deadline.case_id)
                         .where(Case.case_number == number)).scalars()
        return {d.kind: (d.state, d.due_on) for d in rows}


def breach_events(engine, number: str) -> list[AuditEvent]:
    with transaction(engine) as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.case_number == number,
                                                       AuditEvent.action == "deadline_breached")
                              .order_by(AuditEvent.seq)).scalars())


def status_of(engine, number: str) -> CaseStatus:
    from services.case_queries import case_detail

    return case_detail(number, engine=engine).case.status


@pytest.fixture
def world(engine, tmp_path):
    mediation.mediation_world(engine, tmp_path)
    return engine


def test_an_application_received_starts_its_clocks_with_their_last_days(world):
    number = received(world, date(2026, 9, 30))
    assert clocks_of(world, number) == {"acceptance": (DeadlineState.open, date(2026, 10, 10)),
                                        "mediation": (DeadlineState.open, date(2026, 10, 15))}


def test_the_three_working_day_clock_over_national_day_is_breached_on_the_day_after_its_last_day(world):
    number = received(world, date(2026, 9, 30))
    assert deadline_runs.breach_overdue(date(2026, 10, 10), engine=world) == []  # its last day: still open
    assert clocks_of(world, number)["acceptance"][0] == DeadlineState.open
    breached = deadline_runs.breach_overdue(date(2026, 10, 11), engine=world)
    assert [(b.case_number, b.kind, b.moved_to) for b in breached] == [(number, "acceptance", None)]
    assert clocks_of(world, number)["acceptance"][0] == DeadlineState.breached
    [event] = breach_events(world, number)
    assert event.payload == {"kind": "acceptance", "due_on": "2026-10-10", "found_on": "2026-10-11"}
    assert event.reason.startswith("the acceptance clock (accept or refuse the application) ran out: its last day "
                                   "was 2026-10-10, 3 working days on the statutory calendar")
    assert status_of(world, number) == CaseStatus.submitted  # reported only: the applicant may go to arbitration


def test_a_clock_met_in_time_is_never_breached(world):
    number = received(world, date(2026, 9, 30))
    move(world, number, CaseStatus.awaiting_approval, date(2026, 10, 8))
    move(world, number, CaseStatus.accepted, date(2026, 10, 9))
    assert clocks_of(world, number)["acceptance"] == (DeadlineState.met, date(2026, 10, 10))
    for day in (date(2026, 10, 11), date(2026, 10, 12), date(2027, 1, 4)):
        for line in deadline_runs.breach_overdue(day, engine=world):
            assert line.kind != "acceptance", line
    assert clocks_of(world, number)["acceptance"][0] == DeadlineState.met


def test_no_agreement_within_fifteen_days_refers_the_case_to_arbitration_once(world):
    number = received(world, date(2026, 9, 30))
    move(world, number, CaseStatus.awaiting_approval, date(2026, 10, 8))
    move(world, number, CaseStatus.accepted, date(2026, 10, 8))
    move(world, number, CaseStatus.in_mediation, date(2026, 10, 9))
    assert deadline_runs.breach_overdue(date(2026, 10, 15), engine=world) == []
    with time_fixed_at(at(date(2026, 10, 16), 0)):
        breached = deadline_runs.breach_overdue(date(2026, 10, 16), engine=world)
    assert [(b.kind, b.status, b.moved_to) for b in breached] == [
        ("mediation", CaseStatus.in_mediation, CaseStatus.referred_to_arbitration)]
    assert status_of(world, number) == CaseStatus.referred_to_arbitration
    assert deadline_runs.breach_overdue(date(2026, 10, 17), engine=world) == []  # a second run changes nothing
    assert len(breach_events(world, number)) == 1
    with transaction(world) as s:
        moved = s.execute(select(AuditEvent).where(AuditEvent.case_number == number,
                                                   AuditEvent.to_status == "referred_to_arbitration")).scalar_one()
        assert verify_chain(s).intact
    assert (moved.actor, moved.action) == ("system", "mediation_deadline_passed")
    assert "its last day was 2026-10-15" in moved.reason


def test_an_agreement_reached_in_time_stops_the_fifteen_day_clock(world):
    number = received(world, date(2026, 9, 30))
    move(world, number, CaseStatus.awaiting_approval, date(2026, 10, 8))
    move(world, number, CaseStatus.accepted, date(2026, 10, 8))
    move(world, number, CaseStatus.in_mediation, date(2026, 10, 9))
    agree(world, number, date(2026, 10, 15))
    assert deadline_runs.breach_overdue(date(2026, 10, 20), engine=world) == []
    assert clocks_of(world, number)["mediation"][0] == DeadlineState.met
    assert status_of(world, number) == CaseStatus.agreement_reached


def test_a_case_that_cannot_be_referred_keeps_its_status_and_the_breach_says_why(world):
    number = received(world, date(2026, 9, 30))  # never accepted: no move from submitted to arbitration
    breached = deadline_runs.breach_overdue(date(2026, 10, 16), engine=world)
    assert {(b.kind, b.moved_to) for b in breached} == {("acceptance", None), ("mediation", None)}
    assert status_of(world, number) == CaseStatus.submitted
    reasons = [e.reason for e in breach_events(world, number)]
    assert reasons[1].endswith("a case that is submitted cannot move to referred_to_arbitration, so it stays as it is")


def test_the_overview_lists_open_clocks_due_within_three_days_in_due_order(world):
    first = received(world, date(2026, 9, 30))
    second = received(world, date(2026, 10, 12), worker=42)
    lines = deadline_runs.deadline_overview(date(2026, 10, 9), engine=world)
    assert [(line.case_number, line.kind, line.due_on) for line in lines] == [(first, "acceptance", date(2026, 10, 10))]
    lines = deadline_runs.deadline_overview(date(2026, 10, 13), engine=world)
    assert [(line.case_number, line.kind) for line in lines] == [(first, "acceptance"), (first, "mediation"),
                                                                 (second, "acceptance")]
    markdown = deadline_runs.render_markdown(date(2026, 10, 13), [], lines)
    assert f"| G001 | {first} | accept or refuse the application | 2026-10-10 | -3 | submitted |" in markdown
    assert "Member" not in markdown


def test_hardship_cases_have_no_clocks(world):
    case = factories.hardship_case(world)
    assert clocks_of(world, case.case_number) == {}


def test_a_breach_whose_move_only_a_person_may_make_is_recorded_and_the_case_stays(world, monkeypatch):
    from dataclasses import replace

    from models.clocks import clock_named

    acceptance = clock_named(CaseType.mediation, "acceptance")
    person_only = replace(acceptance, breach_to=CaseStatus.accepted)  # awaiting → accepted is a mediator's move
    monkeypatch.setattr(deadline_runs, "clock_named",
                        lambda case_type, kind: person_only if kind == "acceptance" else clock_named(case_type, kind))
    number = received(world, date(2026, 9, 30))
    move(world, number, CaseStatus.awaiting_approval, date(2026, 10, 8))
    [line] = deadline_runs.breach_overdue(date(2026, 10, 11), engine=world)
    assert (line.kind, line.moved_to) == ("acceptance", None)
    assert status_of(world, number) == CaseStatus.awaiting_approval
    assert breach_events(world, number)[0].reason.endswith(
        "only a person may move a case that is awaiting_approval to accepted, so it stays as it is")
