"""A staff member who has left (``active`` off) can no longer act: not submit, move, approve,
reject nor change the household register. The refusal names the staff number and says inactive,
and nothing is written: no case, no status change, no decision, no ledger line, no audit event."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from models.audit import AuditEvent
from models.cases import Approval, Case
from models.enums import CaseStatus, CaseType
from models.errors import RuleViolation
from models.intake import parse_application
from models.ledger import LedgerLine
from models.members import Household
from models.org import Staff
from services import approvals, households, member_import
from services.cases import open_case, transition_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff, bank_card, intake_hardship, resident_id


def deactivate(engine, staff_number: str) -> None:
    """What the federation's administrator does when someone leaves."""
    with transaction(engine) as s:
        assert s.execute(update(Staff).where(Staff.staff_number == staff_number).values(active=False)).rowcount == 1


def written(engine) -> dict[str, object]:
    """Everything an action could have written."""
    with transaction(engine) as s:
        return {
            "cases": [tuple(r) for r in s.execute(select(Case.case_number, Case.status, Case.version,
                                                          Case.approved_fen).order_by(Case.id))],
            "approvals": s.execute(select(func.count()).select_from(Approval)).scalar_one(),
            "ledger_lines": s.execute(select(func.count()).select_from(LedgerLine)).scalar_one(),
            "audit_events": s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            "register": [tuple(r) for r in s.execute(select(Household.household_number, Household.hardship_tier,
                                                             Household.registered_on).order_by(Household.id))],
        }


def refused_as_inactive(engine, staff_number: str, act) -> None:
    before = written(engine)
    with pytest.raises(RuleViolation) as refusal:
        act()
    assert staff_number in str(refusal.value) and "not active" in str(refusal.value)
    assert written(engine) == before


@pytest.fixture
def world(engine, tmp_path):
    factories.organisation(engine)
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,household_number,relation,bank_card"]
    for i in (1, 2):
        lines.append(f"M000{i},Member {i},{resident_id(seq=i)},1380013000{i},G001,2015-01-0{i},H00{i},self,{bank_card(i)}")
    path = tmp_path / "members.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not member_import.import_members(path, actor="system", engine=engine).problems
    return engine


def test_an_inactive_caseworker_cannot_submit_a_case(world):
    deactivate(world, "CW1")
    refused_as_inactive(world, "CW1", lambda: open_case(
        case_type=CaseType.hardship, category="living_relief", applicant_member_number="M0001",
        requested_fen=100000, submitted_by=as_staff("CW1"), programme_code="HA-LIVING", local_year=factories.YEAR,
        engine=world))


def test_an_inactive_caseworker_cannot_take_a_hardship_application(world):
    deactivate(world, "CW2")
    form = parse_application({
        "caseworker": "CW2", "applicant_member_number": "M0001", "resident_id": resident_id(seq=1),
        "category": "living_relief", "tier_claimed": "deep",
        "household": [{"name": "A", "relation": "self", "monthly_income_yuan": "600"}],
        "requested_amount_yuan": "1500", "reason": "factory closed", "applied_on": "2026-03-02"})
    refused_as_inactive(world, "CW2", lambda: intake_hardship(form, engine=world))


def test_an_inactive_caseworker_cannot_move_a_case(world):
    number = factories.hardship_case(world).case_number
    deactivate(world, "CW1")
    refused_as_inactive(world, "CW1", lambda: transition_case(number, CaseStatus.verifying, actor=as_staff("CW1"),
                                                              reason="start", engine=world))
    refused_as_inactive(world, "CW1", lambda: transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"),
                                                              reason="applicant withdrew", engine=world))


def test_an_inactive_approver_cannot_approve(world):
    number = factories.awaiting_approval(world).case_number
    deactivate(world, "AP1")
    refused_as_inactive(world, "AP1", lambda: approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000,
                                                                     reason="eligible", engine=world))


def test_an_inactive_approver_cannot_reject(world):
    number = factories.awaiting_approval(world).case_number
    deactivate(world, "AP1")
    refused_as_inactive(world, "AP1", lambda: approvals.reject_case(number, approver=as_staff("AP1"), reason="owns two flats",
                                                                    engine=world))


def test_an_inactive_caseworker_cannot_register_a_household_or_take_it_off_the_register(world):
    assert "registered" in households.register("H002", "deep", actor=as_staff("CW1"), reason="paper file 7", engine=world)
    deactivate(world, "CW1")
    refused_as_inactive(world, "CW1", lambda: households.register("H001", "deep", actor=as_staff("CW1"), reason="paper file 9",
                                                                  engine=world))
    refused_as_inactive(world, "CW1", lambda: households.register("H002", "relative", actor=as_staff("CW1"),
                                                                  reason="income rose", engine=world))
    refused_as_inactive(world, "CW1", lambda: households.deregister("H002", actor=as_staff("CW1"), reason="re-employed",
                                                                    engine=world))


def test_the_same_person_active_again_may_act(world):
    """The refusal is about being inactive, nothing else: switched back on, the same call goes through."""
    number = factories.awaiting_approval(world).case_number
    deactivate(world, "AP1")
    with pytest.raises(RuleViolation):
        approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=world)
    with transaction(world) as s:
        s.execute(update(Staff).where(Staff.staff_number == "AP1").values(active=True))
    assert approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible",
                                  engine=world).status == CaseStatus.approved
