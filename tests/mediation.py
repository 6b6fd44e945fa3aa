"""A mediation world for tests: the organisation of ``tests.factories`` with a station at G001
(its mediator MD2 and approver AP2), an employer of G001 and one with no union, and the form of
an application as the caseworker CW1 takes it at the counter."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from casetypes.mediation import service
from casetypes.mediation.form import MediationApplication, parse_mediation
from models.enums import Role
from models.time import time_fixed_at
from services import org
from tests import factories
from tests.factories import as_staff, resident_id, uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATION_EMPLOYER = uscc(1)  # its union G001 runs a station
LONE_EMPLOYER = uscc(2)  # no union: the committee mediates
WORKER_ID = resident_id(seq=41)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def mediation_world(engine: Engine, tmp_path: Path) -> None:
    factories.world(engine, tmp_path)
    mediation_org(engine)


def mediation_org(engine: Engine) -> None:
    """On top of ``factories.world``: the G001 station's staff, a mediator elsewhere, two employers;
    added by the operator of a new installation, or by its supervisor once codes are enrolled."""
    by = "system" if factories.auth_bootstrapping(engine) else as_staff("SU1")
    org.add_staff("MD2", "Station mediator", "G001", [Role.mediator], actor=by, engine=engine)
    org.add_staff("MD3", "Second station mediator", "G001", [Role.mediator], actor=by, engine=engine)
    org.add_staff("AP2", "Station approver", "G001", [Role.approver], 100000, actor=by, engine=engine)
    org.add_staff("MD9", "Mediator of another union", "G002", [Role.mediator], actor=by, engine=engine)
    service.add_employer(STATION_EMPLOYER, "第一机械厂", "110105", "G001", by=by, engine=engine)
    service.add_employer(LONE_EMPLOYER, "小微餐饮店", "110105", None, by=by, engine=engine)


def form(**changes: Any) -> dict[str, Any]:
    """Unpaid wages, still employed, received 2026-10-09, the worker consenting."""
    data: dict[str, Any] = {
        "caseworker": "CW1",
        "worker": {"name": "李四", "resident_id": WORKER_ID},
        "employer": {"name": "第一机械厂", "uscc": STATION_EMPLOYER, "address": "示范区工业路1号", "district": "110105"},
        "dispute_type": "unpaid_wages",
        "claims": [{"kind": "wages", "amount_yuan": "12600", "description": "七至九月工资"}],
        "matter": "三个月工资未发",
        "knew_on": "2026-07-15",
        "employed_from": "2020-03-01",
        "still_employed": True,
        "worker_consents": True,
        "received_on": "2026-10-09",
    }
    data.update(changes)
    return data


def take(engine: Engine, day: date = date(2026, 10, 9), **changes: Any) -> str:
    """An application taken and checked on ``day``; its case number."""
    application: MediationApplication = parse_mediation(form(received_on=day.isoformat(), **changes))
    with time_fixed_at(at(day)):
        number = service.intake_mediation(application, as_staff("CW1"), engine=engine)
        service.verify_mediation(number, engine=engine)
    return number


def accepted(engine: Engine, day: date = date(2026, 10, 9), **changes: Any) -> str:
    number = take(engine, day, **changes)
    with time_fixed_at(at(day, 15)):
        service.accept_case(number, by=as_staff("AP2"), mediator="MD2", employer_consents=True, engine=engine)
    return number
