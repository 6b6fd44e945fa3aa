"""Campaigns against a real database (SQLite and PostgreSQL): student aid through its public
notice, seasonal relief from the household register, with hand-written fakes for the registry
and the payment provider."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.campaigns import CampaignCase, CampaignStatus, ObjectionStatus
from models.cases import Case, VerificationRecord
from models.enums import CaseStatus, CaseType, MembershipStatus
from models.errors import InputError, NotFound, RuleViolation
from models.identity import StaffClaim
from models.members import Household, Member
from models.payouts import Payout
from services import approvals, campaigns, households, ledger, member_import, pii, seasonal
from services.audit import verify_chain
from services.case_files import case_text
from services.cases import load_case
from services.db import transaction
from services.payment_provider import Transfer
from services.registry_client import RegistryMember
from tests import factories
from tests.factories import as_staff, bank_card, resident_id

STUDENT_DOCS = ["application_form", "resident_id", "membership_proof", "income_proof", "admission_notice"]
OPENED = date(2026, 9, 21)  # a Monday: 5 working days end on 28 Sep (25-27 Sep is Mid-Autumn)
NOTICE_ENDS = date(2026, 9, 28)


@dataclass
class FakeRegistry:
    """The union's registry as a dict: what the HTTP registry would answer."""

    members: dict

    def lookup(self, member_number):
        return self.members.get(member_number)


@dataclass
class FakeProvider:
    """A payment provider that pays every new reference once and remembers it."""

    transfers: dict = field(default_factory=dict)
    requests: Counter = field(default_factory=Counter)

    def create_transfer(self, reference, payee_name, bank_account, amount_fen, remark):
        self.requests[reference] += 1
        if reference not in self.transfers:
            self.transfers[reference] = Transfer(reference, f"P{len(self.transfers) + 1}", "succeeded", amount_fen,
                                                 None, None)
        return self.transfers[reference]

    def query_transfer(self, reference):
        return self.transfers.get(reference)


def add_members(engine, tmp_path: Path, numbers: range, households: bool = False) -> None:
    """Members M0101…, each (optionally) the 'self' of their own household H0101…."""
    lines = ["member_number,name,resident_id,mobile,unit_code,join_date,bank_card,household_number,relation"]
    for i in numbers:
        household = f"H{i:04d}" if households else ""
        lines.append(f"M{i:04d},Member {i},{resident_id(seq=i)},1390013{i:04d},G001,2015-01-01,{bank_card(i)},"
                     f"{household},self")
    path = tmp_path / f"members-{numbers.start}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = member_import.import_members(path, actor="system", engine=engine)
    assert not report.problems, report.problems


def register_tier(engine, household_number: str, tier: str) -> None:
    households.register(household_number, tier, actor=as_staff("CW1"), reason="paper file", registered_on=date(2026, 1, 5),
                        engine=engine)


def registry_for(engine) -> FakeRegistry:
    with transaction(engine) as s:
        members = s.execute(select(Member)).scalars().all()
        return FakeRegistry({m.member_number: RegistryMember(m.member_number, "active", "G001", m.join_date, m.name,
                                                             m.resident_id_hash) for m in members})


def application(member: int, **changes) -> dict:
    data = {"caseworker": "CW1", "applicant_member_number": f"M{member:04d}", "resident_id": resident_id(seq=member),
            "category": "student_aid", "tier_claimed": "deep", "student_level": "university",
            "household": [{"name": "Parent", "relation": "self", "monthly_income_yuan": "600"},
                          {"name": "Student", "relation": "child", "monthly_income_yuan": "0"}],
            "reason": "admitted to university", "documents_provided": STUDENT_DOCS,
            "months_below_line": 8, "applied_on": "2026-09-01"}
    data.update(changes)
    return data


def applications_file(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "applications.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    add_members(engine, tmp_path, range(101, 105))
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=engine)
    return engine


def student_campaign(engine, tmp_path, members=(101, 102, 103)) -> list[str]:
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", opened_on=date(2026, 9, 1),
                              engine=engine)
    report = campaigns.attach_applications("student-aid-2026", applications_file(tmp_path, [application(m) for m in members]),
                                           submitted_by=as_staff("CW1"), engine=engine)
    assert not report.problems, report.problems
    return report.attached


def through_notice(engine) -> None:
    numbers = campaigns.case_numbers("student-aid-2026", engine=engine)
    campaigns.verify_cases(numbers, registry_for(engine), engine=engine)
    campaigns.open_notice("student-aid-2026", today=OPENED, engine=engine)


def status_of(engine, number) -> CaseStatus:
    with transaction(engine) as s:
        return s.execute(select(Case.status).where(Case.case_number == number)).scalar_one()


def proving(staff_number, engine) -> StaffClaim:
    factories.enrol(engine, staff_number)
    return StaffClaim(staff_number, factories.fresh_code(engine, staff_number))


def batch(engine, provider) -> dict:
    """Close the notice, approve the batch, pay it: what the flow's later run does."""
    assert campaigns.close_notice("student-aid-2026", today=date(2026, 9, 29), engine=engine)
    approved = campaigns.approve_batch("student-aid-2026", approver=proving("AP1", engine), engine=engine)
    paid = campaigns.pay_batch("student-aid-2026", provider, engine=engine)
    return {"approval": approved, "payment": paid}


def test_a_student_aid_campaign_runs_from_applications_through_its_notice_to_payment(world, tmp_path):
    numbers = student_campaign(world, tmp_path)
    through_notice(world)
    view = campaigns.campaign_view("student-aid-2026", engine=world)
    assert (view.status, view.notice_starts_on, view.notice_ends_on) == (CampaignStatus.notice, OPENED, NOTICE_ENDS)
    assert view.cases == {"awaiting_approval": 3}
    assert not campaigns.close_notice("student-aid-2026", today=NOTICE_ENDS, engine=world)  # its last day still runs
    provider = FakeProvider()
    outcome = batch(world, provider)
    assert outcome == {"approval": {"approved": 3}, "payment": {"paid": 3}}
    assert campaigns.campaign_view("student-aid-2026", engine=world).status == CampaignStatus.done
    assert {status_of(world, n) for n in numbers} == {CaseStatus.closed}
    assert campaigns.campaign_progress("student-aid-2026", engine=world) == 100.0
    with transaction(world) as s:
        assert verify_chain(s).intact
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"campaign_created", "campaign_case_attached", "campaign_notice_opened", "campaign_notice_closed",
            "campaign_batch_approved", "campaign_done"} <= actions


def test_re_running_every_step_pays_nothing_twice(world, tmp_path):
    student_campaign(world, tmp_path)
    through_notice(world)
    provider = FakeProvider()
    batch(world, provider)
    numbers = campaigns.case_numbers("student-aid-2026", engine=world)
    assert campaigns.verify_cases(numbers, registry_for(world), engine=world) == {"verified earlier": 3}
    assert campaigns.open_notice("student-aid-2026", today=date(2026, 10, 12), engine=world).notice_ends_on == NOTICE_ENDS
    assert campaigns.pay_cases(numbers, provider, engine=world) == {"not payable": 3}
    assert sum(provider.requests.values()) == 3
    with transaction(world) as s:
        assert s.execute(select(func.count()).select_from(Payout)).scalar_one() == 3


def test_attaching_the_same_file_twice_takes_each_application_once(world, tmp_path):
    first = student_campaign(world, tmp_path)
    again = campaigns.attach_applications("student-aid-2026",
                                          applications_file(tmp_path, [application(m) for m in (101, 102, 103)]),
                                          submitted_by=as_staff("CW1"), engine=world)
    assert (again.attached, sorted(again.already), again.problems) == ([], sorted(first), [])
    with transaction(world) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 3


def test_an_application_left_unattached_by_an_interrupted_run_is_adopted_not_taken_twice(world, tmp_path):
    from models.intake import parse_application
    from tests.factories import intake_hardship

    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=world)
    orphan = intake_hardship(parse_application(application(101)), engine=world)  # stored, then the run stopped
    report = campaigns.attach_applications("student-aid-2026", applications_file(tmp_path, [application(101)]),
                                           submitted_by=as_staff("CW1"), engine=world)
    assert report.attached == [orphan]


def test_bad_rows_are_listed_by_row_and_field_and_the_good_ones_are_taken(world, tmp_path):
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=world)
    rows = [application(101), application(102, category="living_relief", requested_amount_yuan="1000"), application(103, applied_on="2025-09-01"),
            application(104, requested_amount_yuan="4000")]
    report = campaigns.attach_applications("student-aid-2026", applications_file(tmp_path, rows), submitted_by=as_staff("CW1"), engine=world)
    assert len(report.attached) == 1
    assert {(p.row, p.field) for p in report.problems} == {(2, "category"), (3, "applied_on"),
                                                           (4, "requested_amount_yuan")}


def test_the_notice_waits_until_every_case_is_verified(world, tmp_path):
    student_campaign(world, tmp_path)
    with pytest.raises(RuleViolation, match="3 case"):
        campaigns.open_notice("student-aid-2026", today=OPENED, engine=world)


def test_only_cases_that_passed_verification_are_listed_in_the_notice(world, tmp_path):
    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=world)
    rows = [application(101), application(102, documents_provided=STUDENT_DOCS[:3]),
            application(103, household=[{"name": "P", "relation": "self", "monthly_income_yuan": "9000"}])]
    campaigns.attach_applications("student-aid-2026", applications_file(tmp_path, rows), submitted_by=as_staff("CW1"), engine=world)
    through_notice(world)
    view = campaigns.campaign_view("student-aid-2026", engine=world)
    assert view.cases == {"awaiting_approval": 1, "needs_information": 1, "rejected": 1}
    with transaction(world) as s:
        failed = {status.value: [r["rule"] for r in record.results if not r["passed"]]
                  for status, record in s.execute(select(Case.status, VerificationRecord)
                                                  .join(VerificationRecord, VerificationRecord.case_id == Case.id))}
    assert failed == {"awaiting_approval": [], "needs_information": ["required_documents"],
                      "rejected": ["per_capita_income"]}
    assert len(campaigns.case_numbers("student-aid-2026", batch_only=True, engine=world)) == 1
    batch(world, FakeProvider())
    view = campaigns.campaign_view("student-aid-2026", engine=world)
    assert view.cases == {"closed": 1, "needs_information": 1, "rejected": 1}
    assert view.status == CampaignStatus.paying  # the case waiting for documents keeps the campaign open


def test_a_case_whose_documents_come_late_gets_its_own_notice_before_it_is_approved_and_paid(world, tmp_path):
    from services.intake import add_documents

    campaigns.create_campaign("student_aid", 2026, caseworker="CW1", approver="AP1", engine=world)
    rows = [application(101), application(102, documents_provided=STUDENT_DOCS[:3])]
    on_time, late = campaigns.attach_applications("student-aid-2026", applications_file(tmp_path, rows),
                                                  submitted_by=as_staff("CW1"), engine=world).attached
    through_notice(world)
    provider = FakeProvider()
    batch(world, provider)
    assert status_of(world, on_time) == CaseStatus.closed

    add_documents(late, STUDENT_DOCS[3:], actor=as_staff("CW1"), engine=world)
    campaigns.verify_cases([late], registry_for(world), engine=world)
    assert status_of(world, late) == CaseStatus.awaiting_approval
    with pytest.raises(RuleViolation, match="approved after it has been on a public notice"):
        approvals.approve_case(late, approver=as_staff("AP1"), amount_fen=400000, reason="eligible", engine=world)

    assert campaigns.supplementary_notice("student-aid-2026", today=date(2026, 10, 12), engine=world) == {"listed": 1}
    with pytest.raises(RuleViolation, match="until 2026-10-16"):
        approvals.approve_case(late, approver=as_staff("AP1"), amount_fen=400000, reason="eligible", engine=world)
    assert campaigns.approve_cases("student-aid-2026", [late], approver=as_staff("AP1"),
                                   engine=world) == {"in its public notice": 1}
    campaigns.record_objection("student-aid-2026", late, text="checked: no objection really", recorded_by=as_staff("CW1"),
                               today=date(2026, 10, 16), engine=world)
    with pytest.raises(RuleViolation, match="ended on 2026-10-16"):
        campaigns.record_objection("student-aid-2026", late, text="too late", recorded_by=as_staff("CW1"),
                                   today=date(2026, 10, 17), engine=world)

    assert campaigns.supplementary_notice("student-aid-2026", today=date(2026, 10, 17), engine=world) == {"ended": 1}
    assert campaigns.approve_cases("student-aid-2026", [late], approver=as_staff("AP1"),
                                   engine=world) == {"held: objection, a person decides": 1}
    approvals.approve_case(late, approver=as_staff("AP1"), amount_fen=400000, reason="objection withdrawn", engine=world)
    assert campaigns.pay_cases([late], provider, engine=world) == {"paid": 1}
    campaigns.settle_objections("student-aid-2026", engine=world)
    assert campaigns.finish_if_done("student-aid-2026", engine=world).status == CampaignStatus.done
    with transaction(world) as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "listed_in_supplementary_notice")).scalar_one()
    assert event.case_number == late and "2026-10-12 to 2026-10-16" in event.reason


def test_an_objection_holds_its_case_out_of_the_batch_until_a_person_decides(world, tmp_path):
    first, second, third = student_campaign(world, tmp_path)
    through_notice(world)
    campaigns.record_objection("student-aid-2026", first, text="家庭有第二套房产 (reported by a neighbour)",
                               recorded_by=as_staff("CW1"), today=date(2026, 9, 24), engine=world)
    provider = FakeProvider()
    outcome = batch(world, provider)
    assert outcome["approval"] == {"held: objection, a person decides": 1, "approved": 2}
    assert status_of(world, first) == CaseStatus.awaiting_approval
    assert campaigns.campaign_view("student-aid-2026", engine=world).status == CampaignStatus.paying
    assert "| " + first + " | awaiting_approval | open |" in campaigns.summary_markdown("student-aid-2026", engine=world)

    # The approver looks into it and approves after all; the next run pays it and the campaign is done.
    approvals.approve_case(first, approver=as_staff("AP1"), amount_fen=400000, reason="objection checked: one home only",
                           engine=world)
    assert campaigns.pay_cases([first], provider, engine=world) == {"paid": 1}
    campaigns.settle_objections("student-aid-2026", engine=world)
    assert campaigns.finish_if_done("student-aid-2026", engine=world).status == CampaignStatus.done
    with transaction(world) as s:
        link = s.execute(select(CampaignCase).join(Case, Case.id == CampaignCase.case_id)
                         .where(Case.case_number == first)).scalar_one()
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "objection_recorded")).scalar_one()
    assert link.objection_status == ObjectionStatus.dismissed and link.objection_recorded_by == "CW1"
    # The words are kept encrypted with the case, for staff whose role reads them; the trail says only that
    # an objection was recorded, by whom.
    assert event.case_number == first and event.reason == "an objection to the public notice"
    assert "第二套房产" not in link.objection_text and "第二套房产" in pii.open_text(link.objection_text)
    assert "第二套房产" in case_text(first, actor=as_staff("AP1"), engine=world).objections


def test_an_upheld_objection_ends_with_the_case_rejected(world, tmp_path):
    first, *_ = student_campaign(world, tmp_path)
    through_notice(world)
    campaigns.record_objection("student-aid-2026", first, text="second home", recorded_by=as_staff("CW1"),
                               today=OPENED, engine=world)
    batch(world, FakeProvider())
    approvals.reject_case(first, approver=as_staff("AP1"), reason="objection confirmed: two homes", engine=world)
    campaigns.settle_objections("student-aid-2026", engine=world)
    assert campaigns.finish_if_done("student-aid-2026", engine=world).status == CampaignStatus.done
    with transaction(world) as s:
        assert s.execute(select(CampaignCase.objection_status).where(
            CampaignCase.objection_status.is_not(None))).scalar_one() == ObjectionStatus.upheld


def test_objections_are_recorded_only_while_the_notice_runs_and_only_for_listed_cases(world, tmp_path):
    first, *_ = student_campaign(world, tmp_path)
    with pytest.raises(RuleViolation, match="is open"):
        campaigns.record_objection("student-aid-2026", first, text="too early", recorded_by=as_staff("CW1"), engine=world)
    through_notice(world)
    with pytest.raises(RuleViolation, match="ended on 2026-09-28"):
        campaigns.record_objection("student-aid-2026", first, text="too late", recorded_by=as_staff("CW1"),
                                   today=date(2026, 9, 29), engine=world)
    with pytest.raises(NotFound):
        campaigns.record_objection("student-aid-2026", "HA-2026-999999", text="who?", recorded_by=as_staff("CW1"),
                                   today=OPENED, engine=world)
    with pytest.raises(InputError, match="objection"):
        campaigns.record_objection("student-aid-2026", first, text=" ", recorded_by=as_staff("CW1"), today=OPENED, engine=world)


def test_a_refused_approval_is_recorded_and_the_rest_of_the_batch_is_approved(world, tmp_path):
    student_campaign(world, tmp_path)
    through_notice(world)
    with transaction(world) as s:  # the budget covers two of the three students
        programme = ledger.find_programme(s, "HA-STUDENT", 2026)
        ledger.post(s, key="test:cut", kind="budget", programme=programme,
                    lines=[(ledger.accounts_for(programme).available, -4_200_000),
                           (ledger.accounts_for(programme).funding, 4_200_000)])
    provider = FakeProvider()
    outcome = batch(world, provider)
    assert outcome["approval"] == {"approved": 2, "refused": 1}
    assert outcome["payment"] == {"paid": 2}
    with transaction(world) as s:
        link = s.execute(select(CampaignCase).where(CampaignCase.batch_refusal.is_not(None))).scalar_one()
        refused = s.get(Case, link.case_id)
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "campaign_approval_refused")).scalar_one()
    assert "budget of HA-STUDENT 2026 exceeded" in link.batch_refusal and refused.status == CaseStatus.awaiting_approval
    assert event.case_number == refused.case_number and event.actor == "AP1"
    summary = campaigns.summary_markdown("student-aid-2026", engine=world)
    assert refused.case_number in summary and "budget of HA-STUDENT 2026 exceeded" in summary


def test_the_batch_approval_does_not_retry_a_refused_case(world, tmp_path):
    student_campaign(world, tmp_path)
    through_notice(world)
    campaigns.close_notice("student-aid-2026", today=date(2026, 9, 29), engine=world)
    numbers = campaigns.case_numbers("student-aid-2026", engine=world)
    with transaction(world) as s:  # the approver's limit drops below the amounts for a moment
        from models.org import Staff

        staff = s.execute(select(Staff).where(Staff.staff_number == "AP1")).scalar_one()
        staff.approval_limit_fen = 100000
        s.add(staff)
    assert campaigns.approve_cases("student-aid-2026", numbers, approver=as_staff("AP1"), engine=world) == {"refused": 3}
    assert campaigns.approve_cases("student-aid-2026", numbers, approver=as_staff("AP1"),
                                   engine=world) == {"refused earlier, a person decides": 3}
    with transaction(world) as s:
        assert s.execute(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "campaign_approval_refused")).scalar_one() == 3


def test_the_campaign_approver_may_not_be_its_caseworker(world):
    with pytest.raises(InputError, match="four-eyes"):
        campaigns.create_campaign("student_aid", 2026, caseworker="CW2", approver="CW2", engine=world)


def test_a_campaign_needs_its_programme_for_the_year(world):
    with pytest.raises(NotFound, match="HA-WINTER 2026"):
        campaigns.create_campaign("winter_relief", 2026, caseworker="CW1", approver="AP1", engine=world)


# --- seasonal relief -----------------------------------------------------------------------------


@pytest.fixture
def register(engine, tmp_path):
    """Five households: deep, relative, accident, one not registered, one whose member has left."""
    factories.organisation(engine)
    add_members(engine, tmp_path, range(201, 206), households=True)
    for number, tier in (("H0201", "deep"), ("H0202", "relative"), ("H0203", "accident"), ("H0205", "deep")):
        register_tier(engine, number, tier)
    with transaction(engine) as s:
        member = s.execute(select(Member).where(Member.member_number == "M0205")).scalar_one()
        member.status = MembershipStatus.left
        s.add(member)
    return engine


def winter(engine, budget_fen: int):
    ledger.add_programme("HA-WINTER", "Winter warmth", CaseType.hardship, 2026, budget_fen, engine=engine)
    seasonal.open_seasonal_campaign("winter_relief", 2026, caseworker="CW1", approver="AP1",
                                     today=date(2026, 12, 1), engine=engine)
    return seasonal.plan_seasonal("winter-relief-2026", engine=engine)


def pay_seasonal(engine, plan, provider) -> dict:
    seasonal.check_budget(plan)
    created = seasonal.create_seasonal_cases("winter-relief-2026", list(plan.household_ids),
                                             submitted_by=as_staff("CW1"), engine=engine)
    campaigns.mark_cases_ready("winter-relief-2026", engine=engine)
    numbers = campaigns.case_numbers("winter-relief-2026", (CaseStatus.awaiting_approval,), engine=engine)
    approved = campaigns.approve_cases("winter-relief-2026", numbers, approver=as_staff("AP1"), engine=engine)
    campaigns.finish_approval("winter-relief-2026", engine=engine)
    paid = campaigns.pay_cases(campaigns.case_numbers("winter-relief-2026", engine=engine), provider, engine=engine)
    campaigns.finish_if_done("winter-relief-2026", engine=engine)
    return {"created": created, "approved": approved, "paid": paid}


def test_winter_relief_pays_each_registered_household_the_fixed_amount_for_its_tier(register):
    plan = winter(register, 1_000_000)
    assert plan.by_tier == {"accident": (1, 80000), "deep": (1, 150000), "relative": (1, 100000)}
    assert (plan.needed_fen, plan.remaining_fen) == (330000, 1_000_000)
    assert plan.skipped == {"the household's member is not active": 1}
    provider = FakeProvider()
    outcome = pay_seasonal(register, plan, provider)
    assert outcome == {"created": {"created": 3}, "approved": {"approved": 3}, "paid": {"paid": 3}}
    with transaction(register) as s:
        paid = dict(s.execute(select(Member.member_number, Case.paid_fen).join(Case, Case.applicant_member_id == Member.id)
                              .where(Case.category == "winter_relief")).all())
        report = s.execute(select(VerificationRecord)).scalars().first()
        assert verify_chain(s).intact
    assert paid == {"M0201": 150000, "M0202": 100000, "M0203": 80000}
    assert report.policy_version == "2026.1" and report.passed
    assert campaigns.campaign_view("winter-relief-2026", engine=register).status == CampaignStatus.done
    assert {r.remaining_fen for r in ledger.funds(register) if r.programme == "HA-WINTER"} == {1_000_000 - 330000}


def test_winter_relief_is_refused_whole_when_the_budget_is_short_and_nothing_is_created(register):
    plan = winter(register, 300000)
    with pytest.raises(seasonal.CampaignBudgetShort) as refused:
        seasonal.check_budget(plan)
    assert "¥3,300.00 needed for 3 household(s), ¥3,000.00 remaining" in str(refused.value)
    assert isinstance(refused.value, ledger.BudgetExceeded)
    with transaction(register) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_running_the_seasonal_steps_twice_creates_and_pays_each_household_once(register):
    plan = winter(register, 1_000_000)
    provider = FakeProvider()
    pay_seasonal(register, plan, provider)
    again = seasonal.plan_seasonal("winter-relief-2026", engine=register)
    assert again.household_ids == () and again.needed_fen == 0
    assert seasonal.create_seasonal_cases("winter-relief-2026", list(plan.household_ids), submitted_by=as_staff("CW1"),
                                          engine=register) == {
        "campaign done": 3}
    assert campaigns.pay_cases(campaigns.case_numbers("winter-relief-2026", engine=register), provider,
                               engine=register) == {"not payable": 3}
    assert sum(provider.requests.values()) == 3


def test_a_household_left_without_its_campaign_link_by_an_interrupted_run_is_adopted(register):
    from services.cases import open_case

    plan = winter(register, 1_000_000)
    from models.cases import HardshipDetail

    with transaction(register) as s:
        household = s.execute(select(Household).where(Household.household_number == "H0201")).scalar_one()
    orphan = open_case(case_type=CaseType.hardship, category="winter_relief", applicant_member_number="M0201",
                       requested_fen=150000, submitted_by=as_staff("CW1"), programme_code="HA-WINTER", local_year=2026,
                       engine=register, details=HardshipDetail(household_id=household.id, tier_claimed="deep",
                                                               facts={"campaign": "winter-relief-2026",
                                                                      "applied_on": "2026-12-01"}))
    seasonal.create_seasonal_cases("winter-relief-2026", list(plan.household_ids), submitted_by=as_staff("CW1"), engine=register)
    with transaction(register) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 3
        assert s.execute(select(Case.status).where(Case.id == orphan.id)).scalar_one() == CaseStatus.awaiting_approval


def test_summer_relief_amounts_follow_the_summer_table(register):
    ledger.add_programme("HA-SUMMER", "Summer cooling", CaseType.hardship, 2026, 1_000_000, engine=register)
    seasonal.open_seasonal_campaign("summer_relief", 2026, caseworker="CW1", approver="AP1",
                                     today=date(2026, 7, 1), engine=register)
    plan = seasonal.plan_seasonal("summer-relief-2026", engine=register)
    assert plan.by_tier == {"accident": (1, 30000), "deep": (1, 50000), "relative": (1, 30000)}


def test_a_household_already_given_winter_relief_this_year_is_left_out(register, tmp_path):
    plan = winter(register, 1_000_000)
    pay_seasonal(register, plan, FakeProvider())
    # A second campaign of the same kind and year (another code) finds every household aided.
    campaigns.create_campaign("winter_relief", 2026, caseworker="CW1", approver="AP1", code="winter-relief-2026-b",
                              opened_on=date(2026, 12, 20), engine=register)
    second = seasonal.plan_seasonal("winter-relief-2026-b", engine=register)
    assert second.household_ids == ()
    assert second.skipped == {"already received winter_relief this year": 3, "the household's member is not active": 1}


def test_a_case_in_its_public_notice_is_not_approved_by_any_path_not_even_a_bare_move(world, tmp_path):
    from models.errors import GuardRefused
    from services.cases import transition_case

    first, *_ = student_campaign(world, tmp_path)
    through_notice(world)
    assert status_of(world, first) == CaseStatus.awaiting_approval
    with pytest.raises(GuardRefused) as held:  # the move's own row names the guard: no service can skip it
        transition_case(first, CaseStatus.approved, actor=as_staff("AP1"), reason="straight to approved", engine=world)
    assert (held.value.rule, held.value.case_number, held.value.from_status, held.value.to_status) == (
        "notice_held", first, "awaiting_approval", "approved")
    assert str(held.value) == (f"case {first} is in the public notice of campaign student-aid-2026 until 2026-09-28: "
                               "approve it once the notice has ended")
    assert status_of(world, first) == CaseStatus.awaiting_approval
    transition_case(first, CaseStatus.rejected, actor=as_staff("AP1"), reason="rejecting is always allowed", engine=world)


def test_a_person_may_not_approve_a_listed_case_before_its_notice_has_ended(world, tmp_path):
    first, *_ = student_campaign(world, tmp_path)
    with transaction(world) as s:
        assert "after it has been on a public notice" in campaigns.notice_hold(s, load_case(s, first))
    through_notice(world)
    with transaction(world) as s:
        assert "until 2026-09-28" in campaigns.notice_hold(s, load_case(s, first))
    campaigns.close_notice("student-aid-2026", today=date(2026, 9, 29), engine=world)
    with transaction(world) as s:
        assert campaigns.notice_hold(s, load_case(s, first)) is None
