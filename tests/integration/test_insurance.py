"""Mutual-insurance claims in the database, as a union's staff handle them: a group enrolment with
its contributions into the pool, and claims checked, calculated, routed by the review (automatic,
sampled, above the limit), rejected with a reason code, or waiting for documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from casetypes.insurance import enrolment, service
from casetypes.insurance.form import parse_claim
from models.audit import AuditEvent
from models.cases import Case
from models.enums import CaseStatus
from models.errors import InputError, RuleViolation
from models.insurance import InsuranceClaim, InsuranceEnrolment
from models.obligations import Obligation
from models.time import time_fixed_at
from services import ledger
from services.db import transaction
from services.settings import REPO_ROOT, get_settings
from tests import factories
from tests.factories import as_staff
from tests.mediation import at

SAMPLE = (REPO_ROOT / "config" / "products" / "insurance-sample.toml").read_text(encoding="utf-8")
TODAY = at(date(2026, 6, 15))


@pytest.fixture
def products(tmp_path, monkeypatch):
    """The sample product file with the review's sample share set by the test (none by default)."""
    def use(sample_percent: int = 0) -> Path:
        path = tmp_path / f"products-{sample_percent}.toml"
        path.write_text(SAMPLE.replace("sample_percent = 5", f"sample_percent = {sample_percent}"), encoding="utf-8")
        monkeypatch.setenv("UNIONAID_INSURANCE_PRODUCT_FILE", str(path))
        get_settings.cache_clear()
        return path

    use()
    yield use
    get_settings.cache_clear()


@pytest.fixture
def world(engine, tmp_path, products):
    factories.world(engine, tmp_path)
    return engine


def enrolment_file(tmp_path: Path, *rows: str, name: str = "enrol.csv") -> Path:
    path = tmp_path / name
    path.write_text("member_number,product,shares,cover_from\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def enrolled(world, tmp_path, *, funded: bool = True) -> None:
    """M0001 (1 share) and M0002 (2 shares) in supplementary medical, M0003 in major illness, from
    1 January 2026; the pools ``funded`` beyond these few contributions, as many members' are."""
    report = enrolment.import_enrolments(enrolment_file(
        tmp_path, "M0001,supplementary_medical,1,2026-01-01", "M0002,supplementary_medical,2,2026-01-01",
        "M0003,major_illness,1,2026-01-01"), actor=as_staff("CW1"), engine=world)
    assert not report.problems and report.created == 3, report.problems
    if funded:
        for product in ("supplementary_medical", "major_illness"):
            fund(world, product, 5_000_000)


def fund(engine, product: str, amount_fen: int) -> None:
    with transaction(engine) as s:
        pool = ledger.find_programme(s, enrolment.pool_code(product), 2026)
        accounts = ledger.accounts_for(pool)
        ledger.post(s, key=f"test:funds:{product}", kind="budget", programme=pool,
                    lines=[(accounts.funding, -amount_fen), (accounts.available, amount_fen)])


def pool_available(engine, product: str, year: int = 2026) -> int:
    with transaction(engine) as s:
        pool = ledger.find_programme(s, enrolment.pool_code(product), year)
        return ledger.balance(s, ledger.accounts_for(pool).available)


def claim_of(**changes) -> dict:
    data = {"caseworker": "CW1", "member_number": "M0001", "product": "supplementary_medical",
            "event_date": "2026-06-01", "notified_on": "2026-06-05", "received_on": "2026-06-10",
            "hospital_days": 12, "expenses_yuan": "2000", "claimed_yuan": "1500", "diagnosis": "急性阑尾炎",
            "invoices": "INV-0001 2000.00",
            "documents": ["application_form", "membership_proof", "resident_id", "diagnosis", "discharge_summary",
                          "medical_invoices"]}
    data.update(changes)
    return data


def take(engine, **changes) -> str:
    with time_fixed_at(TODAY):
        number = service.intake_claim(parse_claim(claim_of(**changes)), as_staff("CW1"), engine=engine)
        service.check_claim(number, engine=engine)
    return number


def stored(engine, number):
    with transaction(engine) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        s.expunge(case)
        claim = s.get(InsuranceClaim, case.id)
        s.expunge(claim)
        return case, claim


def test_a_group_list_enrols_members_and_pays_their_contributions_into_the_pools_once(world, tmp_path):
    enrolled(world, tmp_path, funded=False)
    assert pool_available(world, "supplementary_medical") == 3 * 5_000  # 3 shares × 50.00
    assert pool_available(world, "major_illness") == 6_000
    again = enrolment.import_enrolments(enrolment_file(
        tmp_path, "M0001,supplementary_medical,1,2026-01-01", "M0002,supplementary_medical,2,2026-01-01",
        "M0003,major_illness,1,2026-01-01", name="again.csv"), actor=as_staff("CW1"), engine=world)
    assert (again.created, again.unchanged, again.problems) == (0, 3, [])
    assert pool_available(world, "supplementary_medical") == 15_000
    with transaction(world) as s:
        rows = s.execute(select(InsuranceEnrolment)).scalars().all()
        assert {(r.product, r.cover_to) for r in rows} == {("supplementary_medical", date(2026, 12, 31)),
                                                           ("major_illness", date(2028, 12, 31))}
    covered = {row.product: row.people for row in enrolment.coverage(2026, engine=world)}
    assert covered == {"supplementary_medical": 2, "accidental_injury": 0, "major_illness": 1, "women_major_illness": 0}


def test_bad_enrolment_rows_are_named_by_row_and_field_and_the_good_ones_stored(world, tmp_path):
    enrolled(world, tmp_path)
    report = enrolment.import_enrolments(enrolment_file(
        tmp_path, "M0001,dental,1,2026-01-01", "M0002,major_illness,9,2026-01-01", "M0009,major_illness,1,2026-01-01",
        "M0001,supplementary_medical,1,2026-06-01", "M0002,supplementary_medical,3,2026-01-01",
        "M0001,accidental_injury,1,2026-13-01", "M0001,major_illness,1,2026-02-01", name="bad.csv"),
        actor=as_staff("CW1"), engine=world)
    assert [(p.row, p.field) for p in report.problems] == [
        (2, "product"), (3, "shares"), (4, "member_number"), (5, "cover_from"), (6, "shares"), (7, "cover_from")]
    assert report.created == 1  # M0001 in major illness
    assert "dental" not in " ".join(p.problem for p in report.problems)


def test_a_small_claim_is_calculated_explained_and_approved_automatically_from_the_pool(world, tmp_path):
    enrolled(world, tmp_path)
    ledger_before = pool_available(world, "supplementary_medical")
    number = take(world)
    case, claim = stored(world, number)
    # 12 days × 26.00 = 312.00; (2,000.00 − 500.00) × 50% = 750.00; 1,062.00 in all
    assert (case.status, claim.calculated_fen, case.approved_fen, claim.review) == (
        CaseStatus.approved, 106_200, 106_200, "automatic")
    assert [line["rule"] for line in claim.explanation] == ["inpatient", "expenses", "deductible", "ratio", "subtotal"]
    assert claim.explanation[0]["figures"] == "12 days × 26.00 × 1 share = 312.00"
    assert pool_available(world, "supplementary_medical") == ledger_before - 106_200
    with transaction(world) as s:
        owed = s.execute(select(Obligation).where(Obligation.case_id == case.id)).scalars().all()
        assert [(o.party.value, o.party_ref, o.amount_fen) for o in owed] == [("member", "M0001", 106_200)]
        event = s.execute(select(AuditEvent).where(AuditEvent.case_number == number,
                                                   AuditEvent.to_status == "approved")).scalar_one()
        assert event.payload["seed"] == claim.review_seed and event.payload["draw"] == claim.review_draw
        assert "急性" not in str(event.payload) and "阑尾" not in (event.reason or "")
    assert claim.diagnosis != "急性阑尾炎" and "INV-0001" not in (claim.invoices or "")  # encrypted


def test_a_claim_is_paid_from_the_pool_of_its_enrolment(world, tmp_path):
    enrolled(world, tmp_path)
    number = take(world)
    case, _ = stored(world, number)
    with transaction(world) as s:
        assert ledger.find_programme(s, "MI-supplementary_medical", 2026).id == case.programme_id


def test_a_small_claim_the_pool_cannot_pay_now_goes_to_a_person(world, tmp_path):
    enrolled(world, tmp_path, funded=False)  # 150.00 paid in, 1,062.00 calculated
    number = take(world)
    case, claim = stored(world, number)
    assert (case.status, claim.review, case.approved_fen) == (CaseStatus.awaiting_approval, "pool_short", None)
    assert pool_available(world, "supplementary_medical") == 15_000


def test_a_claim_drawn_for_the_sample_waits_for_a_reviewer_with_its_seed_recorded(world, tmp_path, products):
    enrolled(world, tmp_path)
    products(sample_percent=100)
    number = take(world)
    case, claim = stored(world, number)
    assert (case.status, claim.review, case.requested_fen) == (CaseStatus.awaiting_approval, "sampled", 106_200)
    assert service.draw(claim.review_seed, number) == claim.review_draw  # an auditor draws it again
    summary = service.review_summary(number, engine=world)
    assert "12 days × 26.00 × 1 share = 312.00" in summary and "急性" not in summary


def test_a_claim_above_the_automatic_limit_goes_to_review(world, tmp_path):
    enrolled(world, tmp_path)
    number = take(world, expenses_yuan="9000", claimed_yuan="4000")
    case, claim = stored(world, number)
    # 312.00 + (9,000.00 − 500.00) × 50% = 4,562.00, above the 3,000.00 limit
    assert (case.status, claim.review, claim.calculated_fen) == (CaseStatus.awaiting_approval, "above_limit", 456_200)


def test_a_reviewer_rejects_with_a_reason_code_of_the_product_file(world, tmp_path, products):
    enrolled(world, tmp_path)
    products(sample_percent=100)
    number = take(world)
    with pytest.raises(InputError) as refused:
        service.reject_claim(number, code="made_up", reason="no", approver=as_staff("CW2"), engine=world)
    assert refused.value.field == "rejection_code"
    service.reject_claim(number, code="false_documents", reason="发票与医院记录不符", approver=as_staff("CW2"),
                         engine=world)
    case, claim = stored(world, number)
    assert (case.status, claim.rejection_code) == (CaseStatus.rejected, "false_documents")


def test_an_event_in_the_waiting_period_is_rejected_with_its_code(world, tmp_path):
    enrolled(world, tmp_path)
    number = take(world, event_date="2026-01-20", notified_on="2026-01-25", received_on="2026-01-28")
    case, claim = stored(world, number)
    assert (case.status, claim.rejection_code, claim.calculated_fen) == (CaseStatus.rejected, "waiting_period", 0)


def test_a_claim_without_an_enrolment_is_rejected_as_not_enrolled(world, tmp_path):
    enrolled(world, tmp_path)
    number = take(world, member_number="M0003")
    case, claim = stored(world, number)
    assert (case.status, claim.rejection_code) == (CaseStatus.rejected, "not_enrolled")


def test_a_late_notification_and_a_second_claim_for_the_same_event_are_rejected(world, tmp_path):
    enrolled(world, tmp_path)
    late = take(world, notified_on="2026-06-12", received_on="2026-06-12")  # 11 days after, the window is 10
    assert stored(world, late)[1].rejection_code == "late_notice"
    first = take(world)
    again = take(world)
    assert stored(world, first)[0].status == CaseStatus.approved
    assert stored(world, again)[1].rejection_code == "duplicate"


def test_missing_documents_hold_the_claim_until_they_arrive(world, tmp_path):
    enrolled(world, tmp_path)
    number = take(world, documents=["application_form", "membership_proof", "resident_id", "diagnosis"])
    assert stored(world, number)[0].status == CaseStatus.needs_information
    with time_fixed_at(TODAY):
        assert service.add_documents(number, ["discharge_summary", "medical_invoices"], actor=as_staff("CW1"),
                                     engine=world) == CaseStatus.verifying
        service.check_claim(number, engine=world)
    assert stored(world, number)[0].status == CaseStatus.approved


def test_a_cover_that_ends_with_a_payout_pays_once(world, tmp_path):
    enrolled(world, tmp_path)
    major = {"member_number": "M0003", "product": "major_illness", "event_date": "2026-05-01",
             "notified_on": "2026-05-10", "received_on": "2026-05-20", "benefit": "major_illness",
             "hospital_days": 0, "expenses_yuan": None, "claimed_yuan": "20000",
             "documents": ["application_form", "membership_proof", "resident_id", "diagnosis", "pathology_report"]}
    first = take(world, **major)
    case, claim = stored(world, first)
    assert (case.status, claim.review, claim.calculated_fen) == (CaseStatus.awaiting_approval, "above_limit", 2_000_000)
    from services import approvals

    approvals.approve_case(first, approver=as_staff("AP1"), amount_fen=2_000_000, reason="重大疾病确诊",
                           engine=world)
    second = take(world, **{**major, "event_date": "2026-05-20", "notified_on": "2026-05-21", "received_on": "2026-05-25"})
    assert stored(world, second)[1].rejection_code == "cover_ended"


def test_a_benefit_the_product_does_not_pay_is_refused_naming_the_field(world, tmp_path):
    enrolled(world, tmp_path)
    with pytest.raises(InputError) as refused:
        take(world, benefit="death")
    assert refused.value.field == "benefit"


def test_the_monthly_report_counts_claims_by_product_status_review_and_rejection_code(world, tmp_path, products):
    from services.reports import build_monthly_report

    with time_fixed_at(TODAY):
        enrolled(world, tmp_path)
    take(world)  # approved automatically
    take(world, member_number="M0002", documents=["application_form"])  # waiting for documents
    take(world, member_number="M0002", event_date="2026-06-02", notified_on="2026-06-14",
         received_on="2026-06-14")  # notified after the window: rejected
    products(sample_percent=100)
    take(world, member_number="M0001", event_date="2026-06-03", notified_on="2026-06-05")  # sampled: a person
    section = build_monthly_report("2026-06", engine=world, today=date(2026, 6, 30)).section("insurance")
    rows = {row[0]: row for row in section.rows}
    medical = rows["supplementary_medical 医疗补充保障 / 住院医疗互助"]
    names = [c.key for c in section.columns]
    cell = dict(zip(names, medical, strict=True))
    assert (cell["covered"], cell["contributions"], cell["received"]) == (2, 15_000, 4)
    assert (cell["approved"], cell["awaiting_review"], cell["needs_information"], cell["rejected"]) == (1, 1, 1, 1)
    assert cell["reviewed_share"] == Decimal(1) / Decimal(2)  # of the two routed, one to a person
    assert rows["拒付 rejected: late_notice"][8] == 1
    assert "急性阑尾炎" not in str(section)


def test_finance_funds_a_pool_once_per_voucher_and_a_caseworker_cannot(world, tmp_path):
    enrolled(world, tmp_path, funded=False)
    before = pool_available(world, "supplementary_medical")
    left = enrolment.fund_pool("supplementary_medical", 2026, 1_000_000, reference="PZ-2026-031",
                               actor=as_staff("FI1"), engine=world)
    assert left == before + 1_000_000
    again = enrolment.fund_pool("supplementary_medical", 2026, 1_000_000, reference="PZ-2026-031",
                                actor=as_staff("FI1"), engine=world)
    assert again == left
    with transaction(world) as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "insurance_pool_funded")).scalars().all()
    assert len(events) == 1 and events[0].actor == "FI1"
    with pytest.raises(RuleViolation):
        enrolment.fund_pool("supplementary_medical", 2026, 100, reference="X-1", actor=as_staff("CW1"), engine=world)
    with pytest.raises(InputError, match="amount: must be more than zero"):
        enrolment.fund_pool("supplementary_medical", 2026, 0, reference="X-2", actor=as_staff("FI1"), engine=world)
