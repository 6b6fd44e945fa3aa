"""Builders for test data, written to a real database through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import Engine, select, text
from sqlmodel import col
from stdnum import luhn
from stdnum.cn import ric

from models.cases import Case
from models.enums import CaseStatus, CaseType, Role, UnitLevel
from models.identity import TOTP, StaffClaim, Verified
from models.intake import HardshipApplication
from models.org import Staff, StaffCredential
from services import auth, intake, ledger, member_import, org
from services.cases import open_case, transition_case
from services.db import transaction
from services.pii import decrypt_with
from services.settings import get_settings

YEAR = 2026
BUDGET_FEN = 1_000_000  # 10,000 yuan: below the district approver's limit


def drop_guards(engine: Engine) -> None:
    """Drop every trigger, as the owner of the tables could: what the guards cannot stop, and
    what the keyed chain, its checkpoints and ``audit verify --deep`` must catch instead."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace")).all()
            for name, table in rows:
                conn.execute(text(f'DROP TRIGGER {name} ON "{table}"'))
        else:
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
                conn.execute(text(f"DROP TRIGGER {name}"))


def resident_id(area: str = "110105", birth: str = "19800101", seq: int = 1) -> str:
    body = f"{area}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def uscc(seq: int = 1, area: str = "110105") -> str:
    """A valid unified social credit code of an enterprise (91) registered in ``area``."""
    from stdnum.cn import uscc as codes

    body = f"91{area}MA{seq:06d}X"[:17]
    return body + codes.calc_check_digit(body)


def bank_card(i: int) -> str:
    body = f"62220202001{i:07d}"
    return body + luhn.calc_check_digit(body)


def organisation(engine: Engine) -> None:
    """A district, two grassroots units and one staff member per role."""
    org.add_unit("D000", "District federation", UnitLevel.district, engine=engine)
    org.add_unit("G001", "Machinery works union", UnitLevel.grassroots, "D000", engine=engine)
    org.add_unit("G002", "Logistics union", UnitLevel.grassroots, "D000", engine=engine)
    org.add_staff("CW1", "Caseworker One", "G001", [Role.caseworker], engine=engine)
    org.add_staff("CW2", "Caseworker-approver", "G001", [Role.caseworker, Role.approver], 300000, engine=engine)
    org.add_staff("AP1", "Approver One", "D000", [Role.approver], 2000000, engine=engine)
    org.add_staff("FI1", "Finance One", "D000", [Role.finance], engine=engine)
    org.add_staff("MD1", "Mediator One", "D000", [Role.mediator, Role.caseworker], engine=engine)
    org.add_staff("SU1", "Supervisor One", "D000", [Role.supervisor], engine=engine)
    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, YEAR, BUDGET_FEN, engine=engine)


def members(engine: Engine, tmp_path: Path, count: int = 3) -> None:
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,bank_card"]
    for i in range(1, count + 1):
        lines.append(f"M{i:04d},Member {i},{resident_id(seq=i)},1380013{i:04d},G001,2015-01-0{min(i, 9)},{bank_card(i)}")
    path = tmp_path / "members.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = member_import.import_members(path, actor="system", engine=engine)
    assert not report.problems, report.problems


def household_members(engine: Engine, tmp_path: Path) -> None:
    """M0001 and M0002 share household H001 of G001; M0003 is in H002."""
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,household_number,relation,monthly_income,bank_card",
             f"M0001,Member 1,{resident_id(seq=1)},13800130001,G001,2015-01-01,H001,self,600,{bank_card(1)}",
             f"M0002,Member 2,{resident_id(seq=2)},13800130002,G001,2015-01-02,H001,spouse,0,{bank_card(2)}",
             f"M0003,Member 3,{resident_id(seq=3)},13800130003,G001,2015-01-03,H002,self,900,{bank_card(3)}"]
    path = tmp_path / "household-members.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = member_import.import_members(path, actor="system", engine=engine)
    assert not report.problems, report.problems


def world(engine: Engine, tmp_path: Path) -> None:
    organisation(engine)
    members(engine, tmp_path)


def world_once(engine: Engine, tmp_path: Path) -> None:
    """``world`` the first time a database is given (a fuzz test's examples share one), with the
    caseworker CW1 enrolled."""
    from models.org import Unit

    with transaction(engine) as session:
        if session.execute(select(Unit)).first() is not None:
            return
    world(engine, tmp_path)
    enrol(engine, "CW1")


def oral_record(**changes: Any) -> dict[str, Any]:
    """A complete record of an oral application, as the caseworker CW1 takes it down at the counter."""
    return {"applicant": "王建国", "matter": "living relief for the household", "reasons": "the factory closed in May",
            "recorded_at": "2026-03-02T10:30:00+08:00", "recorded_by": "CW1", "applicant_confirmed": True, **changes}


def as_staff(staff_number: str | Verified) -> Verified:
    """A staff member as the services see them once the boundary (CLI, form) checked their
    one-time code: what tests of the rules behind it act as. The boundary's own check is tested
    with real codes (``one_time_code``, tests/security)."""
    return staff_number if isinstance(staff_number, Verified) else Verified(staff_number, TOTP)


def acting(actor: str | Verified) -> str | Verified:
    """``system`` as it is, anyone else as a proved staff member (``as_staff``)."""
    return actor if actor == "system" else as_staff(actor)


def enrol(engine: Engine, *numbers: str) -> None:
    """Give staff members one-time codes, as the operator of a new installation (the first
    supervisor) and then that supervisor would."""
    for number in numbers:
        auth.enrol(number, by="system" if auth_bootstrapping(engine) else as_staff("SU1"), engine=engine)


def auth_bootstrapping(engine: Engine) -> bool:
    with transaction(engine) as session:
        return auth.bootstrapping(session)


def one_time_code(engine: Engine, staff_number: str, steps_ahead: int = 0) -> str:
    """The code the staff member's authenticator app shows now (or ``steps_ahead`` 30-second
    steps later, which the window still accepts up to one step): read from their stored secret."""
    with transaction(engine) as session:
        staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one()
        credential = session.get(StaffCredential, staff.id)
        assert credential is not None, f"{staff_number} is not enrolled"
        secret = decrypt_with(get_settings().staff_secret_key.get_secret_value(), credential.secret_encrypted, "key")
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(auth.clock()) + steps_ahead)


_HANDED: dict[tuple[str, str], int] = {}  # (database, staff number) -> the last step a code was handed out for


def fresh_code(engine: Engine, staff_number: str) -> str:
    """A code for the staff member that has not been used: the current step when it is free,
    else the next one (a code of the next step works too, for up to a minute and a half). When that step is further ahead than a phone's clock may be (the window),
    the codes' clock of this process (``services.auth.clock``) is moved on to it, as if the test
    had waited half a minute; ``tests/conftest.py`` puts it back after each test. A runner in
    another process keeps the real clock, so a test that hands codes to one asks for few."""
    with transaction(engine) as session:
        staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one()
        credential = session.get(StaffCredential, staff.id)
        assert credential is not None, f"{staff_number} is not enrolled"
        used = credential.last_step
    key = (engine.url.render_as_string(), staff_number)
    totp = pyotp.TOTP("A" * 32)
    now = totp.timecode(auth.clock())
    step = max(now, (used if used is not None else now - 10) + 1, _HANDED.get(key, now - 10) + 1)
    if step > now + auth.WINDOW:
        real = auth.clock
        shift = timedelta(seconds=auth.STEP_SECONDS * (step - now))
        auth.clock = lambda: real() + shift
    _HANDED[key] = step
    return one_time_code(engine, staff_number, steps_ahead=step - totp.timecode(auth.clock()))


def typed_in(application: Any) -> tuple[Any, str]:
    """An intake form as the caseworker it names types it into the run form: the form and their
    one-time code (``fresh_code``), for ``hardship_intake(*typed_in(form()))``."""
    from services.db import get_engine

    return application, fresh_code(get_engine(), application.caseworker)


@contextmanager
def with_fresh_code(engine: Engine, args: list[str]) -> Iterator[None]:
    """For one command line call acting ``--as`` a staff member: the code their app would show
    (``--code`` appended, enrolling them first when needed; ``fresh_code``). A staff number that
    is not an active staff member gets a code that cannot work, so the command says so itself."""
    staff = args[args.index("--as") + 1] if "--as" in args and args.index("--as") + 1 < len(args) else None
    if staff is not None and staff != "system" and "--code" not in args:
        if _is_active_staff(engine, staff):
            if not _enrolled(engine, staff):
                enrol(engine, staff)
            args += ["--code", fresh_code(engine, staff)]
        else:
            args += ["--code", "000000"]
    yield


def _is_active_staff(engine: Engine, staff_number: str) -> bool:
    with transaction(engine) as session:
        staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one_or_none()
        return staff is not None and staff.active


def _enrolled(engine: Engine, staff_number: str) -> bool:
    with transaction(engine) as session:
        staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one()
        credential = session.get(StaffCredential, staff.id)
        return credential is not None and credential.revoked_at is None


def claim(engine: Engine, staff_number: str, steps_ahead: int = 0) -> StaffClaim:
    return StaffClaim(staff_number, one_time_code(engine, staff_number, steps_ahead))


def intake_hardship(form: HardshipApplication, engine: Engine | None = None) -> str:
    """The hardship intake service, submitted by the caseworker the form names (proved)."""
    return intake.intake_hardship(form, as_staff(form.caseworker.strip()), engine=engine)


def hardship_case(engine: Engine, submitted_by: str = "CW1", member: str = "M0001",
                  requested_fen: int = 200000) -> Case:
    return open_case(case_type=CaseType.hardship, category="living_relief", applicant_member_number=member,
                     requested_fen=requested_fen, submitted_by=as_staff(submitted_by), engine=engine,
                     programme_code="HA-LIVING", local_year=YEAR)


def awaiting_approval(engine: Engine, submitted_by: str = "CW1", requested_fen: int = 200000) -> Case:
    case = hardship_case(engine, submitted_by, requested_fen=requested_fen)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    return transition_case(case.case_number, CaseStatus.awaiting_approval, actor="system", reason="checks passed",
                           engine=engine)
