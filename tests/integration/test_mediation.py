"""A mediation case in the database, as a station's staff handle it: routed to the right body,
checked, accepted or declined, mediated, agreed or failed, each step audited; the clocks moved by
the test (``time_fixed_at``), never the wall time."""

from datetime import date

import pytest
from sqlalchemy import select

from casetypes.mediation import service
from casetypes.mediation.form import parse_terms
from models.audit import AuditEvent
from models.cases import Case
from models.clocks import Deadline, DeadlineState
from models.enums import CaseStatus
from models.errors import GuardRefused, InputError, RuleViolation, ValidationFailed
from models.mediation import MediationDetail
from models.org import Unit
from models.time import time_fixed_at
from services import deadline_runs
from services.db import transaction
from tests.factories import as_staff, resident_id, uscc
from tests.mediation import LONE_EMPLOYER, WORKER_ID, accepted, at, form, mediation_world, take


@pytest.fixture
def world(engine, tmp_path):
    mediation_world(engine, tmp_path)
    return engine


def case_of(engine, number):
    with transaction(engine) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        return case.status, s.get(Unit, case.unit_id).code, s.get(MediationDetail, case.id)


def clocks_of(engine, number):
    with transaction(engine) as s:
        rows = s.execute(select(Deadline).join(Case, Case.id == Deadline.case_id).where(Case.case_number == number))
        return {d.kind: (d.state, d.due_on) for d in rows.scalars()}


def trail(engine, number):
    with transaction(engine) as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.case_number == number)
                              .order_by(AuditEvent.seq)).scalars())


def test_a_case_goes_to_the_station_of_the_employers_union_and_waits_for_acceptance(world):
    number = take(world)
    status, body, detail = case_of(world, number)
    assert (status, body, detail.worker_member_id) == (CaseStatus.awaiting_approval, "G001", None)
    # received Friday 9 October 2026: the three working days are Saturday the 10th (a make-up working
    # day after the National Day holiday), the 12th and the 13th; fifteen days end Saturday the 24th,
    # so the period ends on the next working day, Monday the 26th
    assert clocks_of(world, number) == {"acceptance": (DeadlineState.open, date(2026, 10, 13)),
                                        "mediation": (DeadlineState.open, date(2026, 10, 26))}


def test_an_employer_without_a_station_goes_to_the_district_committee(world):
    lone = take(world, employer={"name": "小微餐饮店", "uscc": LONE_EMPLOYER, "address": "示范区1号", "district": "110105"})
    unknown = take(world, worker={"name": "王五", "resident_id": resident_id(seq=42)},
                   employer={"name": "未登记公司", "uscc": uscc(77), "address": "示范区2号", "district": "110105"})
    assert case_of(world, lone)[1] == case_of(world, unknown)[1] == "D000"


def test_a_member_is_recorded_when_the_worker_gives_their_number_and_it_must_be_theirs(world):
    number = take(world, worker={"name": "Member 1", "resident_id": resident_id(seq=1), "member_number": "M0001"})
    assert case_of(world, number)[2].worker_member_id is not None
    with pytest.raises(InputError) as refused:
        take(world, worker={"name": "Member 2", "resident_id": resident_id(seq=9), "member_number": "M0002"})
    assert refused.value.field == "worker.resident_id"


def test_the_same_worker_against_the_same_employer_twice_is_refused_while_the_first_is_open(world):
    first = take(world)
    with pytest.raises(InputError) as refused:
        take(world)
    assert (refused.value.field, first in str(refused.value)) == ("worker", True)


def test_an_application_received_tomorrow_is_refused_by_field(world):
    with pytest.raises(InputError) as refused:
        with time_fixed_at(at(date(2026, 10, 9))):
            from casetypes.mediation.form import parse_mediation

            service.intake_mediation(parse_mediation(form(received_on="2026-10-10")), as_staff("CW1"), engine=world)
    assert refused.value.field == "received_on"


def test_a_time_barred_claim_cannot_be_accepted_and_is_declined_in_writing(world):
    number = take(world, dispute_type="termination", still_employed=False, employed_until="2025-09-30",
                  knew_on="2025-09-30", claims=[{"kind": "severance", "amount_yuan": "30000"}])
    assert case_of(world, number)[0] == CaseStatus.awaiting_approval
    with time_fixed_at(at(date(2026, 10, 12))), pytest.raises(GuardRefused, match="time-barred"):
        service.accept_case(number, by=as_staff("AP2"), mediator="MD2", employer_consents=True, engine=world)
    with time_fixed_at(at(date(2026, 10, 12))):
        service.decline_case(number, by=as_staff("MD2"), reason="时效已过：请向仲裁委员会咨询", engine=world)
    status, _, detail = case_of(world, number)
    assert status == CaseStatus.rejected and detail.decision_reason and "时效" not in detail.decision_reason
    assert clocks_of(world, number)["acceptance"][0] == DeadlineState.met


def test_without_the_workers_consent_the_case_waits_for_it_and_is_checked_again(world):
    number = take(world, worker_consents=False)
    assert case_of(world, number)[0] == CaseStatus.needs_information
    with time_fixed_at(at(date(2026, 10, 10))):
        service.record_consent(number, by=as_staff("CW1"), engine=world)
        service.verify_mediation(number, engine=world)
    assert case_of(world, number)[0] == CaseStatus.awaiting_approval


def test_acceptance_needs_the_employers_consent_and_a_mediator_of_the_body(world):
    number = take(world)
    with pytest.raises(InputError) as no_consent:
        service.accept_case(number, by=as_staff("AP2"), mediator="MD2", employer_consents=False, engine=world)
    with pytest.raises(InputError) as elsewhere:
        service.accept_case(number, by=as_staff("AP2"), mediator="MD9", employer_consents=True, engine=world)
    with pytest.raises(RuleViolation, match="not of it"):
        service.accept_case(number, by=as_staff("MD9"), mediator="MD2", employer_consents=True, engine=world)
    assert (no_consent.value.field, elsewhere.value.field) == ("employer_consents", "mediator")
    assert case_of(world, number)[0] == CaseStatus.awaiting_approval


def test_a_session_opens_mediation_and_the_case_shows_the_days_left(world):
    number = accepted(world)
    with time_fixed_at(at(date(2026, 10, 12))):
        assert service.record_session(number, by=as_staff("MD2"), held_on=date(2026, 10, 12), attendees="李四；厂方代表",
                                      summary="双方陈述", next_step="厂方核对工资表", engine=world) == 1
        view = service.mediation_view(number, engine=world)
    assert (view.status, view.mediator, view.sessions, view.days_left) == (CaseStatus.in_mediation, "MD2", 1, 14)
    assert clocks_of(world, number)["acceptance"][0] == DeadlineState.met


def test_an_extension_needs_both_consents_moves_the_last_day_and_stays_within_the_policy(world):
    number = accepted(world)
    with time_fixed_at(at(date(2026, 10, 20))):
        due = service.extend_mediation(number, by=as_staff("MD2"), days=10, worker_agreed_on=date(2026, 10, 20),
                                       employer_agreed_on=date(2026, 10, 19), engine=world)
        with pytest.raises(InputError, match="at most 15"):
            service.extend_mediation(number, by=as_staff("MD2"), days=6, worker_agreed_on=date(2026, 10, 20),
                                     employer_agreed_on=date(2026, 10, 20), engine=world)
        service.extend_mediation(number, by=as_staff("MD2"), days=5, worker_agreed_on=date(2026, 10, 20),
                                 employer_agreed_on=date(2026, 10, 20), engine=world)
    assert due == date(2026, 11, 3)
    # 30 days in all end Sunday 8 November: the period ends Monday the 9th, and is breached the day after
    assert clocks_of(world, number)["mediation"] == (DeadlineState.open, date(2026, 11, 9))
    with time_fixed_at(at(date(2026, 11, 9))):
        assert deadline_runs.breach_overdue(date(2026, 11, 9), engine=world) == []
    with time_fixed_at(at(date(2026, 11, 10))):
        breached = deadline_runs.breach_overdue(date(2026, 11, 10), engine=world)
    assert [(b.case_number, b.moved_to) for b in breached] == [(number, CaseStatus.referred_to_arbitration)]


AGREED = {"payments": [{"kind": "wages", "amount_yuan": "6300", "due_on": "2026-10-31"},
                       {"kind": "wages", "amount_yuan": "6300", "due_on": "2026-11-30"}],
          "waived": ["加班费请求"]}


def test_an_agreement_missing_one_mark_is_not_effective_and_the_fourth_mark_makes_it_so(world):
    number = accepted(world)
    with time_fixed_at(at(date(2026, 10, 16))):
        service.record_session(number, by=as_staff("MD2"), held_on=date(2026, 10, 16), attendees="双方",
                               summary="达成分期支付", next_step="签署协议", engine=world)
        service.draft_agreement(number, parse_terms(AGREED), by=as_staff("MD2"), engine=world)
        for mark in ("worker", "employer", "seal"):
            missing = service.sign_agreement(number, mark, on=date(2026, 10, 16), by=as_staff("MD3"), engine=world)
        assert missing == ["the mediator's signature"]
        assert case_of(world, number)[0] == CaseStatus.in_mediation
        with pytest.raises(RuleViolation, match="the mediator of"):
            service.sign_agreement(number, "mediator", on=date(2026, 10, 16), by=as_staff("MD3"), engine=world)
        assert service.sign_agreement(number, "mediator", on=date(2026, 10, 16), by=as_staff("MD2"),
                                      engine=world) == []
    assert case_of(world, number)[0] == CaseStatus.agreement_reached
    assert clocks_of(world, number)["mediation"][0] == DeadlineState.met


def test_a_failed_mediation_is_referred_to_arbitration_with_the_day_left_to_apply(world):
    number = accepted(world, dispute_type="termination", still_employed=False, employed_until="2026-09-30",
                      knew_on="2026-09-30", claims=[{"kind": "compensation", "amount_yuan": "40000"}])
    with time_fixed_at(at(date(2026, 10, 20))):
        last_day = service.record_failure(number, by=as_staff("MD2"), reason="厂方拒绝调解", legal_aid=True,
                                          engine=world)
        view = service.mediation_view(number, engine=world)
    assert last_day == view.arbitration_by == date(2027, 10, 20)
    assert [e.action for e in trail(world, number)][-2:] == ["record_failure", "refer_to_arbitration"]


def test_the_trail_never_holds_the_workers_name_or_id(world):
    number = accepted(world)
    text = " ".join(f"{e.reason} {e.payload}" for e in trail(world, number))
    assert WORKER_ID not in text and "李四" not in text and "submit" in [e.action for e in trail(world, number)]


def test_terms_without_any_payment_waiver_or_obligation_are_refused_by_field():
    with pytest.raises(ValidationFailed) as refused:
        parse_terms({"payments": []})
    assert [p.field for p in refused.value.problems] == ["payments"]


def agreed(engine, day=date(2026, 10, 16)):
    number = accepted(engine)
    with time_fixed_at(at(day)):
        service.record_session(number, by=as_staff("MD2"), held_on=day, attendees="双方", summary="达成分期支付",
                               next_step="签署协议", engine=engine)
        service.draft_agreement(number, parse_terms(AGREED), by=as_staff("MD2"), engine=engine)
        for mark in ("worker", "employer", "mediator", "seal"):
            service.sign_agreement(number, mark, on=day, by=as_staff("MD2"), engine=engine)
    return number


def docx_text(path):
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_the_agreement_document_carries_the_parties_ids_and_the_trail_does_not(world, tmp_path):
    from casetypes.mediation.documents import make_document

    number = agreed(world)
    with time_fixed_at(at(date(2026, 10, 16))):
        make_document(number, "agreement", tmp_path / "agreement.docx", by=as_staff("MD2"), engine=world)
    text = docx_text(tmp_path / "agreement.docx")
    assert "劳动争议调解协议书" in text and WORKER_ID in text and "李四" in text
    assert "于 2026-11-30 前向申请人支付工资 6,300.00 元" in text and "申请人放弃以下请求：加班费请求" in text
    issued = [e for e in trail(world, number) if e.action == "document_issued"]
    assert [e.payload["kind"] for e in issued] == ["agreement"]
    assert WORKER_ID not in " ".join(f"{e.reason} {e.payload}" for e in trail(world, number))


def test_staff_of_another_body_make_no_document_and_no_file_is_left(world, tmp_path):
    from casetypes.mediation.documents import make_document

    number = agreed(world)
    folder = tmp_path / "documents"
    folder.mkdir()
    with pytest.raises(RuleViolation, match="not of it"):
        make_document(number, "agreement", folder / "agreement.docx", by=as_staff("MD9"), engine=world)
    assert list(folder.iterdir()) == []


def test_the_referral_notice_states_the_last_day_to_apply_for_arbitration(world, tmp_path):
    from casetypes.mediation.documents import make_document

    number = accepted(world, dispute_type="termination", still_employed=False, employed_until="2026-09-30",
                      knew_on="2026-09-30", claims=[{"kind": "compensation", "amount_yuan": "40000"}])
    with time_fixed_at(at(date(2026, 10, 20))):
        service.record_failure(number, by=as_staff("MD2"), reason="厂方拒绝调解", legal_aid=True, engine=world)
        make_document(number, "referral", tmp_path / "referral.docx", by=as_staff("MD2"), engine=world)
    text = docx_text(tmp_path / "referral.docx")
    assert "您可以在 2027-10-20 前向劳动争议仲裁委员会申请仲裁" in text and "法律援助" in text and "李四：" in text


def test_a_payment_overdue_is_reported_with_the_right_to_a_payment_order_and_paying_all_closes_the_case(world):
    number = agreed(world)
    with time_fixed_at(at(date(2026, 11, 2))):
        breached = deadline_runs.breach_overdue(date(2026, 11, 2), engine=world)
        view = service.mediation_view(number, engine=world)
    assert [(b.kind, b.moved_to) for b in breached] == [("payment-1", None)]
    assert [(p.seq, p.overdue, p.payment_order) for p in view.payments] == [(1, True, True), (2, False, False)]
    assert "payment order (art. 16)" in trail(world, number)[-1].reason
    with time_fixed_at(at(date(2026, 11, 3))):
        assert service.record_employer_payment(number, 1, amount_fen=300000, paid_on=date(2026, 11, 3),
                                               by=as_staff("MD2"), engine=world) == 330000
        with pytest.raises(InputError, match="more than the"):
            service.record_employer_payment(number, 1, amount_fen=330001, paid_on=date(2026, 11, 3),
                                            by=as_staff("MD2"), engine=world)
        service.record_employer_payment(number, 1, amount_fen=330000, paid_on=date(2026, 11, 3), by=as_staff("MD2"),
                                        engine=world)
        assert case_of(world, number)[0] == CaseStatus.agreement_reached
        service.record_employer_payment(number, 2, amount_fen=630000, paid_on=date(2026, 11, 3), by=as_staff("MD2"),
                                        engine=world)
    assert case_of(world, number)[0] == CaseStatus.closed
    assert {k: v[0] for k, v in clocks_of(world, number).items()} == {
        "acceptance": DeadlineState.met, "mediation": DeadlineState.met, "payment-1": DeadlineState.met,
        "payment-2": DeadlineState.met}


def test_the_monthly_report_counts_each_body_and_dispute_type(world):
    from services.reports import build_monthly_report

    agreed_at_station = agreed(world)  # received 9 October, accepted the same day, agreed the 16th
    with time_fixed_at(at(date(2026, 10, 20))):
        service.record_employer_payment(agreed_at_station, 1, amount_fen=630000, paid_on=date(2026, 10, 20),
                                        by=as_staff("MD2"), engine=world)
    declined = take(world, relationship="commercial", worker={"name": "王五", "resident_id": resident_id(seq=43)})
    with time_fixed_at(at(date(2026, 10, 12))):
        service.decline_case(declined, by=as_staff("AP2"), reason="经济纠纷", engine=world)
    late = take(world, day=date(2026, 10, 12), worker={"name": "赵六", "resident_id": resident_id(seq=44)},
                employer={"name": "小微餐饮店", "uscc": LONE_EMPLOYER, "address": "示范区1号", "district": "110105"})
    with time_fixed_at(at(date(2026, 10, 22))):  # its acceptance clock ended on the 15th
        service.accept_case(late, by=as_staff("MD1"), mediator="MD1", employer_consents=True, engine=world)
    report = build_monthly_report("2026-10", engine=world, today=date(2026, 12, 4))
    rows = {row[0]: row[1:] for row in report.section("mediation").rows}
    #                   received in time late declined agreed referred success  agreed  paid overdue advanced
    assert rows["G001"] == (2, 1, 0, 1, 1, 0, 1, 1260000, 630000, 0, 0)
    assert rows["D000"] == (1, 0, 1, 0, 0, 0, None, 0, 0, 0, 0)
    assert rows["合计 all bodies"] == (3, 1, 1, 1, 1, 0, 1, 1260000, 630000, 0, 0)
    assert rows["拖欠工资 unpaid wages"][:5] == (3, 1, 1, 1, 1)
    with pytest.raises(KeyError):  # nothing of mediation happened in November: no section
        build_monthly_report("2026-11", engine=world, today=date(2026, 12, 4)).section("mediation")
    december = build_monthly_report("2026-12", engine=world, today=date(2026, 12, 4))
    assert dict((r[0], r[-2]) for r in december.section("mediation").rows)["G001"] == 1  # due 30 November, unpaid


def test_a_workers_card_given_after_intake_is_checked_stored_encrypted_and_audited_masked(world):
    from tests.factories import bank_card

    number = accepted(world)
    with pytest.raises(InputError) as refused:
        service.record_worker_card(number, bank_card(5)[:-1] + "0" if bank_card(5)[-1] != "0" else bank_card(5)[:-1] + "1",
                                   by=as_staff("MD2"), engine=world)
    assert refused.value.field == "bank_card" and bank_card(5)[:10] not in str(refused.value)
    with pytest.raises(RuleViolation, match="not of it"):
        service.record_worker_card(number, bank_card(5), by=as_staff("MD9"), engine=world)
    masked = service.record_worker_card(number, bank_card(5), by=as_staff("MD2"), engine=world)
    detail = case_of(world, number)[2]
    assert masked == detail.worker_bank_account_masked and bank_card(5) not in (detail.worker_bank_account_enc or "")
    assert bank_card(5) not in " ".join(f"{e.reason} {e.payload}" for e in trail(world, number))


def test_an_application_whose_fifteen_days_end_in_a_year_without_a_calendar_is_taken_with_a_provisional_clock(world):
    number = take(world, day=date(2026, 12, 28))
    with transaction(world) as s:
        rows = {d.kind: (d.due_on, d.basis) for d in s.execute(
            select(Deadline).join(Case, Case.id == Deadline.case_id).where(Case.case_number == number)).scalars()}
    assert rows["acceptance"] == (date(2026, 12, 31), "3 working days on the statutory calendar from the day after it "
                                                      "started")
    assert rows["mediation"][0] == date(2027, 1, 12) and "provisional" in rows["mediation"][1]
