"""The monthly report on a real database (SQLite and PostgreSQL).

Two worlds:
- ``paid_this_month``: the demo members (real-looking names, resident IDs, cards), student-aid cases
  approved and paid through the payment sandbox over HTTP today, one left reserved, one whose
  payout outcome is unknown, one waiting for approval. The report is of the current month.
- ``dated_ledger``: a 2025 programme whose postings are dated by hand (budget in January, a payout
  at 23:30 on 31 March and one at 00:10 on 1 April, Shanghai time), to check which month money
  falls in, to the fen, and months in which nothing was paid.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from sqlalchemy import select, update

from models.cases import Case
from models.enums import CaseStatus, CaseType, UnitLevel
from models.errors import InputError
from models.ledger import Accounts, LedgerLine, LedgerPosting, check_balanced
from models.payouts import Payout, PayoutStatus
from models.plan import load_plan
from models.time import utcnow
from sandbox import payment
from sandbox.testing import running_server
from services import approvals, ledger, member_import, org, payouts
from services.cases import load_case, open_case, transition_case
from services.db import transaction
from services.payment_provider import STATEMENT_COLUMNS, HttpPaymentProvider, yuan_text
from services.reconciliation import reconcile_month, sign_off
from services.reports import (
    UNKNOWN,
    YUAN_FORMAT,
    build_monthly_report,
    markdown_summary,
    publish_artifacts,
    write_report_files,
)
from services.reports.model import Section
from services.reports.registry import MEASURES, SECTIONS, SectionEntry
from services.reports.sections import ALL_TYPES
from services.settings import get_settings
from tests import factories
from tests.factories import as_staff

REPO = Path(__file__).resolve().parents[2]
DEMO_MEMBERS = REPO / "config" / "demo" / "members.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET, MERCHANT = "test-payment-secret", "unionaid-test"
STUDENT_BUDGET = 2_000_000


def local_today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --- the payment sandbox ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox_url():
    app = payment.create_app(":memory:", merchant_id=MERCHANT, secret=SECRET)
    with running_server(app) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url):
    httpx.post(f"{sandbox_url}/sandbox/reset").raise_for_status()
    set_faults(sandbox_url, latency_ms=0, share_429=0, share_5xx=0, share_timeout_after_commit=0,
               share_lost_response=0, fail_payee_accounts=[])
    return sandbox_url


def set_faults(url, **knobs):
    httpx.post(f"{url}/sandbox/faults", json=knobs).raise_for_status()


def provider_for(url, read_timeout=2.0):
    client = httpx.Client(timeout=httpx.Timeout(read_timeout, connect=2.0), follow_redirects=False)
    return HttpPaymentProvider(client, url, MERCHANT, SECRET)


# --- worlds ---------------------------------------------------------------------------------------------


def demo_people() -> list[dict[str, str]]:
    with DEMO_MEMBERS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def demo_world(engine) -> None:
    """The test organisation and the ten demo members, with their names, resident IDs and bank cards."""
    factories.organisation(engine)
    org.add_unit("G003", "Construction union", UnitLevel.grassroots, "D000", engine=engine)
    report = member_import.import_members(DEMO_MEMBERS, actor="system", engine=engine)
    assert not report.problems, report.problems


def student_case(engine, member: str, amount_fen: int | None, year: int, programme: str = "HA-STUDENT") -> str:
    """A student-aid case moved to awaiting approval, and approved for ``amount_fen`` unless None."""
    case = open_case(case_type=CaseType.hardship, category="student_aid", applicant_member_number=member,
                     requested_fen=amount_fen or 300_000, submitted_by=as_staff("CW1"), programme_code=programme,
                     local_year=year, engine=engine)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(case.case_number, CaseStatus.awaiting_approval, actor="system", reason="checks passed",
                    engine=engine)
    if amount_fen is not None:
        approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=amount_fen, reason="ok", engine=engine)
    return case.case_number


class PaidThisMonth:
    """Numbers of the cases made by the ``paid_this_month`` fixture, and what the report must say."""

    def __init__(self, engine, sandbox_url) -> None:
        self.engine = engine
        self.year = local_today().year
        self.month = month_of(local_today())
        demo_world(engine)
        ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, self.year, STUDENT_BUDGET, engine=engine)
        self.paid_a = student_case(engine, "M0001", 300_001, self.year)
        self.paid_b = student_case(engine, "M0003", 199_998, self.year)
        self.reserved_c = student_case(engine, "M0004", 100_000, self.year)
        self.waiting_d = student_case(engine, "M0005", None, self.year)
        self.unknown_e = student_case(engine, "M0007", 50_000, self.year)
        for number in (self.paid_a, self.paid_b):
            assert [v.status for v in payouts.pay_case(number, provider_for(sandbox_url), engine=engine)] == [PayoutStatus.succeeded]
        set_faults(sandbox_url, share_timeout_after_commit=1.0, hang_ms=1500)
        [view] = payouts.pay_case(self.unknown_e, provider_for(sandbox_url, read_timeout=0.5), engine=engine)
        assert view.status == PayoutStatus.unknown
        set_faults(sandbox_url, share_timeout_after_commit=0)
        self.paid_fen = 300_001 + 199_998
        self.reserved_fen = 100_000 + 50_000  # C approved; E's payout not settled, so still reserved

    def report(self, **kwargs):
        """The current month's report, with the sample plan taken as this year's (the clock may have moved on)."""
        kwargs.setdefault("plan", sample_plan(self.year))
        return build_monthly_report(self.month, engine=self.engine, **kwargs)


def sample_plan(year: int):
    return load_plan(get_settings().plan_file).model_copy(update={"year": year})


@pytest.fixture
def paid_this_month(engine, sandbox) -> PaidThisMonth:
    return PaidThisMonth(engine, sandbox)


def post_dated(engine, when: datetime, programme: str, year: int, key: str, kind: str,
               lines: list[tuple[str, int]]) -> None:
    """A balanced posting dated ``when``, written as ``services.ledger.post`` writes one (then sealed,
    which the database checks), because the service always dates a posting now."""
    check_balanced(lines)
    with transaction(engine) as s:
        found = ledger.find_programme(s, programme, year)
        # Stored in UTC, as utcnow() dates every posting (SQLite keeps the wall time, not the offset).
        posting = LedgerPosting(idempotency_key=key, kind=kind, programme_id=found.id, posted_at=when.astimezone(UTC))
        s.add(posting)
        s.flush()
        for account, amount in lines:
            s.add(LedgerLine(posting_id=posting.id, account=account, amount_fen=amount))
        s.flush()
        s.execute(update(LedgerPosting).where(LedgerPosting.id == posting.id).values(sealed=True))


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def dated_ledger(engine):
    """HA-2025: budget ¥10,000.00 on 5 January; X reserved ¥2,500.50 in February and paid at 23:30 on
    31 March; Y reserved ¥1,200.00 in March and paid at 00:10 on 1 April; Z reserved ¥333.33 in April."""
    factories.organisation(engine)
    ledger.add_programme("HA-2025", "Living relief 2025", CaseType.hardship, 2025, 0, engine=engine)
    a = Accounts("HA-2025", 2025)

    def post(when, key, kind, lines):
        post_dated(engine, when, "HA-2025", 2025, key, kind, lines)

    post(shanghai(2025, 1, 5, 10), "budget", "budget", [(a.funding, -1_000_000), (a.available, 1_000_000)])
    post(shanghai(2025, 2, 10, 9), "reserve-x", "reserve", [(a.available, -250_050), (a.reserved, 250_050)])
    post(shanghai(2025, 3, 20, 9), "reserve-y", "reserve", [(a.available, -120_000), (a.reserved, 120_000)])
    post(shanghai(2025, 3, 31, 23, 30), "pay-x", "pay", [(a.reserved, -250_050), (a.paid, 250_050)])
    post(shanghai(2025, 4, 1, 0, 10), "pay-y", "pay", [(a.reserved, -120_000), (a.paid, 120_000)])
    post(shanghai(2025, 4, 15, 9), "reserve-z", "reserve", [(a.available, -33_333), (a.reserved, 33_333)])
    return engine


def money_row(report, programme: str) -> dict:
    rows = [r for r in report.section("money").row_dicts() if r["programme"] == programme]
    assert len(rows) == 1, rows
    return rows[0]


def target_row(report, key: str) -> dict:
    return next(r for r in report.section("targets").row_dicts() if r["key"] == key)


# --- money ----------------------------------------------------------------------------------------------


def test_money_paid_through_the_sandbox_is_in_the_month_to_the_fen(paid_this_month):
    world = paid_this_month
    row = money_row(world.report(), "HA-STUDENT")
    assert (row["budget"], row["reserved"], row["paid_month"], row["paid_ytd"], row["remaining"]) == (
        STUDENT_BUDGET, world.reserved_fen, world.paid_fen, world.paid_fen,
        STUDENT_BUDGET - world.reserved_fen - world.paid_fen)
    assert row["paid_month"] == 499_999
    assert row["used"] == Decimal("0.3250")  # (150,000 + 499,999) / 2,000,000 = 0.3249995


def test_the_current_month_agrees_with_the_ledgers_own_funds(paid_this_month):
    world = paid_this_month
    report = world.report()
    for funds in ledger.funds(engine=world.engine, year=world.year):
        row = money_row(report, funds.programme)
        assert (row["budget"], row["reserved"], row["paid_ytd"], row["remaining"]) == (
            funds.budget_fen, funds.reserved_fen, funds.paid_fen, funds.remaining_fen)
        assert row["budget"] == row["reserved"] + row["paid_ytd"] + row["remaining"]


def test_a_payout_at_half_past_eleven_on_the_last_evening_belongs_to_that_month(dated_ledger):
    march = money_row(build_monthly_report("2025-03", engine=dated_ledger), "HA-2025")
    april = money_row(build_monthly_report("2025-04", engine=dated_ledger), "HA-2025")
    assert (march["paid_month"], march["paid_ytd"], march["reserved"], march["remaining"]) == (
        250_050, 250_050, 120_000, 629_950)
    assert (april["paid_month"], april["paid_ytd"], april["reserved"], april["remaining"]) == (
        120_000, 370_050, 33_333, 596_617)


def test_a_month_with_nothing_paid_shows_zero_paid_and_the_balances_as_they_stood(dated_ledger):
    february = money_row(build_monthly_report("2025-02", engine=dated_ledger), "HA-2025")
    assert (february["budget"], february["reserved"], february["paid_month"], february["paid_ytd"],
            february["remaining"]) == (1_000_000, 250_050, 0, 0, 749_950)
    may = build_monthly_report("2025-05", engine=dated_ledger)
    row = money_row(may, "HA-2025")
    assert (row["paid_month"], row["paid_ytd"], row["reserved"], row["remaining"]) == (0, 370_050, 33_333, 596_617)
    total = next(r for r in may.section("money-by-type").row_dicts() if r["case_type"] == ALL_TYPES)
    assert (total["paid_month"], total["paid_ytd"]) == (0, 370_050)


def test_money_by_case_type_adds_up_each_type_then_all(dated_ledger):
    ledger.add_programme("MI-2025", "Mutual insurance 2025", CaseType.insurance, 2025, 0, engine=dated_ledger)
    a = Accounts("MI-2025", 2025)
    post_dated(dated_ledger, shanghai(2025, 1, 6, 9), "MI-2025", 2025, "mi-budget", "budget",
               [(a.funding, -300_001), (a.available, 300_001)])
    rows = build_monthly_report("2025-04", engine=dated_ledger).section("money-by-type").row_dicts()
    assert [(r["case_type"], r["budget"], r["paid_ytd"], r["remaining"]) for r in rows] == [
        ("困难职工帮扶 hardship aid", 1_000_000, 370_050, 596_617),
        ("职工互助保障 mutual insurance", 300_001, 0, 300_001),
        (ALL_TYPES, 1_300_001, 370_050, 896_618)]


def test_payouts_by_month_list_every_month_of_the_year_so_far(dated_ledger):
    report = build_monthly_report("2025-05", engine=dated_ledger)
    assert [tuple(r) for r in report.section("payouts-by-month").rows] == [
        ("2025-01", 0, 0), ("2025-02", 0, 0), ("2025-03", 1, 250_050), ("2025-04", 1, 120_000), ("2025-05", 0, 0)]


def test_other_years_programmes_stay_out_of_the_money_section(dated_ledger):
    report = build_monthly_report("2025-04", engine=dated_ledger)
    assert [r["programme"] for r in report.section("money").row_dicts()] == ["HA-2025"]  # not HA-LIVING 2026


def test_a_month_not_begun_or_misspelt_is_refused():
    next_month = local_today().replace(day=1) + timedelta(days=32)
    with pytest.raises(InputError, match=r"month: .* has not begun yet"):
        build_monthly_report(month_of(next_month))
    with pytest.raises(InputError, match=r"month: must look like 2026-10"):
        build_monthly_report("2026-13")


# --- targets --------------------------------------------------------------------------------------------


def test_targets_count_what_is_recorded_and_the_unknown_target_stays_unknown(paid_this_month):
    report = paid_this_month.report()
    students = target_row(report, "students_funded")
    assert (students["target"], students["actual"]) == (54, 2)  # A and B paid; C reserved, E unknown
    assert students["achieved"] == Decimal("0.0370")
    for key in ("assistance_pairings", "trained", "reemployed", "insurance_supplementary_medical",
                "insurance_accidental_injury", "insurance_major_illness"):  # recorded: none yet is a count, not "no data"
        assert target_row(report, key)["actual"] == 0, key
    women = target_row(report, "insurance_women_major_illness")
    assert (women["target"], women["actual"], women["achieved"]) == (UNKNOWN, 0, None)


def test_a_case_for_two_students_of_one_household_counts_two_students_funded(paid_this_month):
    from models.cases import HardshipDetail

    with transaction(paid_this_month.engine) as s:
        case = load_case(s, paid_this_month.paid_a)
        s.add(HardshipDetail(case_id=case.id, tier_claimed="deep", causes=[], reason="",
                             facts={"students": [{"level": "university", "grade": "大一"},
                                                 {"level": "vocational", "grade": "中二"}]}))
    assert target_row(paid_this_month.report(), "students_funded")["actual"] == 3  # A's two students and B


def test_the_share_of_the_year_elapsed_counts_days_to_the_end_of_the_month(dated_ledger):
    report = build_monthly_report("2025-03", engine=dated_ledger)
    assert report.year_elapsed == Decimal("0.2466")  # 90 of 365 days
    assert report.complete and report.last_day == date(2025, 3, 31)


def test_a_plan_for_another_year_is_said_so_instead_of_showing_targets(dated_ledger):
    targets = build_monthly_report("2025-03", engine=dated_ledger).section("targets")
    assert targets.rows == ()
    assert "The plan file is for 2026, not 2025" in targets.notes[0]


def test_a_measure_a_case_type_registers_fills_its_target(paid_this_month, monkeypatch):
    monkeypatch.setitem(MEASURES, "pairings", lambda ctx, argument: 12)
    row = target_row(paid_this_month.report(), "assistance_pairings")
    assert (row["actual"], row["achieved"]) == (12, Decimal("0.4000"))


# --- sections registered by case type -------------------------------------------------------------------


def test_hardship_registers_its_student_aid_numbers_and_no_other_case_type_has_a_section(paid_this_month):
    report = paid_this_month.report()
    typed = {s.key: s.case_type for s in report.sections if s.case_type}
    assert typed == {"hardship-aid": "hardship"}
    student = next(r for r in report.section("hardship-aid").row_dicts() if r["category"] == "金秋助学 student aid")
    assert (student["cases_month"], student["paid_month"], student["cases_ytd"], student["paid_ytd"]) == (
        2, 499_999, 2, 499_999)


def test_a_new_case_type_adds_a_section_without_touching_the_others(paid_this_month, monkeypatch):
    before = paid_this_month.report()

    def clocks(ctx):
        return Section("mediation-clocks", "Mediation clocks", (), (), case_type="mediation")

    monkeypatch.setitem(SECTIONS, "mediation-clocks", SectionEntry("mediation-clocks", clocks, CaseType.mediation))
    after = paid_this_month.report()
    assert [s.key for s in after.sections] == [s.key for s in before.sections] + ["mediation-clocks"]
    assert after.section("mediation-clocks").case_type == "mediation"
    for key in ("money", "targets", "cases", "hardship-aid"):
        assert after.section(key) == before.section(key)


# --- casework -------------------------------------------------------------------------------------------


def test_cases_by_status_read_from_the_audit_trail_agree_with_the_case_table(paid_this_month):
    report = paid_this_month.report()
    with transaction(paid_this_month.engine) as s:
        table = sorted((c.status.value, 1) for c in s.execute(select(Case)).scalars())
    shown = {r["status"]: r["cases"] for r in report.section("cases").row_dicts()}
    expected: dict[str, int] = {}
    for status, n in table:
        expected[status] = expected.get(status, 0) + n
    assert shown == expected == {"paid": 2, "approved": 1, "awaiting_approval": 1, "payout_pending": 1}
    ageing = report.section("open-case-ageing").row_dicts()
    assert [(r["case_type"], r["d0_7"], r["open"]) for r in ageing] == [("困难职工帮扶 hardship aid", 5, 5)]


def test_an_approval_waiting_longer_than_the_limit_is_listed(paid_this_month):
    world = paid_this_month
    assert world.report().section("approval-waits").rows == ()  # the default limit is days, not seconds
    waits = world.report(approval_wait_days=0).section("approval-waits").row_dicts()
    assert [(w["case_number"], w["category"], w["unit"], w["limit_days"], w["approvals"]) for w in waits] == [
        (world.waiting_d, "student_aid", "G002", 0, 0)]


def test_the_payout_with_an_unknown_outcome_is_listed_as_open(paid_this_month):
    rows = paid_this_month.report().section("open-payouts").row_dicts()
    assert [(r["reference"], r["case_number"], r["amount"]) for r in rows] == [
        (f"{paid_this_month.unknown_e}-P1", paid_this_month.unknown_e, 50_000)]
    assert "unknown" in rows[0]["status"]


def test_a_past_month_does_not_see_what_happened_after_it(paid_this_month):
    first_of_month = local_today().replace(day=1)
    previous = month_of(first_of_month - timedelta(days=1))
    report = build_monthly_report(previous, engine=paid_this_month.engine)
    assert report.section("cases").rows == () and report.section("open-payouts").rows == ()
    assert report.section("open-case-ageing").rows == ()
    for row in report.section("money").row_dicts():  # every posting here was made this month
        assert (row["budget"], row["reserved"], row["paid_ytd"]) == (0, 0, 0)


# --- reconciliation -------------------------------------------------------------------------------------


def test_reconciliation_shows_the_latest_run_and_its_sign_off(paid_this_month):
    world = paid_this_month
    assert world.report().section("reconciliation").rows == ()
    with transaction(world.engine) as s:
        paid = s.execute(select(Payout).where(Payout.status == PayoutStatus.succeeded)).scalars().all()
    stamp = utcnow().astimezone(SHANGHAI).isoformat(timespec="milliseconds")
    lines = [",".join(STATEMENT_COLUMNS)] + [
        ",".join([p.reference, p.provider_id or "x", "succeeded", stamp, yuan_text(p.amount_fen), "6222********0013"])
        for p in sorted(paid, key=lambda p: p.reference)]
    reconcile_month(world.month, "\n".join(lines) + "\n", actor=as_staff("FI1"), engine=world.engine)
    sign_off(world.month, staff_number=as_staff("FI1"), engine=world.engine)
    items = {r["item"]: r["value"] for r in world.report().section("reconciliation").row_dicts()}
    assert (items["version 版本"], items["matched"], items["unpaid_not_at_provider"]) == (1, 2, 1)
    assert (items["open exceptions 未处理差异"], items["signed off by 签核人"]) == (0, "FI1")


# --- files and artifacts --------------------------------------------------------------------------------


def personal_data() -> list[str]:
    """Everything of the demo members and staff that must never appear in a report file."""
    values = []
    for person in demo_people():
        values += [person["name"], person["resident_id"], person["mobile"], person["bank_card"],
                   person["bank_card"][-8:], person["resident_id"][-8:]]
    return values + ["Caseworker One", "Approver One", "Finance One", "Member 1"]


def file_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(name).decode("utf-8") for name in z.namelist() if name.endswith(".xml"))
    return path.read_text(encoding="utf-8-sig")


def test_the_workbook_has_one_sheet_per_section_with_numbers_as_numbers(paid_this_month, tmp_path):
    report = paid_this_month.report()
    files = write_report_files(report, tmp_path / "reports")
    book = openpyxl.load_workbook(files.xlsx)
    assert book.sheetnames == [s.key for s in report.sections]
    money = book["money"]
    header = [c.value for c in money[1]]
    row = next(r for r in money.iter_rows(min_row=2) if r[0].value == "HA-STUDENT")
    budget, paid = row[header.index("预算 budget")], row[header.index("本月支付 paid this month")]
    assert (budget.data_type, budget.number_format) == ("n", YUAN_FORMAT) and budget.number_format == "¥#,##0.00"
    assert Decimal(str(paid.value)) == Decimal("4999.99") and paid.number_format == YUAN_FORMAT
    used = row[header.index("预算使用 budget used")]
    assert (used.data_type, used.number_format) == ("n", "0.0%")
    assert money.column_dimensions["A"].width >= len("项目 programme") and money.freeze_panes == "A2"
    targets = book["targets"]
    cells = {r[0].value: [c.value for c in r] for r in targets.iter_rows(min_row=2) if r[0].value}
    assert cells["students_funded"][3:5] == [54, 2]
    assert cells["assistance_pairings"][4] == 0 and cells["insurance_major_illness"][4] == 0
    assert cells["insurance_women_major_illness"][3] == UNKNOWN


def test_csv_files_are_utf8_with_a_bom_and_plain_yuan(paid_this_month, tmp_path):
    report = paid_this_month.report()
    files = write_report_files(report, tmp_path / "reports")
    assert set(files.csvs) == {s.key for s in report.sections}
    raw = files.csvs["money"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    student = next(r for r in rows if r["项目 programme"] == "HA-STUDENT")
    assert (student["本月支付 paid this month"], student["预算 budget"]) == ("4999.99", "20000.00")
    assert files.csvs["money"].name == f"{report.month}-money.csv"


def test_the_html_page_is_self_contained_with_three_charts(paid_this_month, tmp_path):
    files = write_report_files(paid_this_month.report(), tmp_path / "reports")
    page = files.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    for label in ("Budget use per programme", "Targets progress", "Monthly payouts"):
        assert label in page
    assert "<script" not in page and "src=" not in page and "url(" not in page
    assert page.replace('xmlns="http://www.w3.org/2000/svg"', "").count("http") == 0
    assert "¥4,999.99" in page


def test_default_files_go_to_the_months_directory_under_the_data_dir(paid_this_month):
    files = write_report_files(paid_this_month.report())
    assert files.directory == get_settings().data_dir / "reports" / paid_this_month.month
    assert all(p.is_file() and p.parent == files.directory for p in files.all())


def test_no_file_or_artifact_holds_a_members_name_id_number_mobile_or_card(paid_this_month, tmp_path):
    report = paid_this_month.report(approval_wait_days=0)
    files = write_report_files(report, tmp_path / "reports")
    published = FakeArtifacts()
    publish_artifacts(report, files, create_markdown=published.markdown, create_table=published.table)
    texts = {p.name: file_text(p) for p in files.all()}
    texts["artifacts"] = repr(published.calls)
    assert paid_this_month.waiting_d in texts[files.html.name]  # case numbers are shown, so the check bites
    for name, text in texts.items():
        for value in personal_data():
            assert value not in text, f"{name} holds personal data"


class FakeArtifacts:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def markdown(self, **kwargs) -> None:
        self.calls.append(("markdown", kwargs))

    def table(self, **kwargs) -> None:
        self.calls.append(("table", kwargs))


def test_artifacts_have_stable_keys_and_link_the_files(paid_this_month, tmp_path):
    report = paid_this_month.report()
    files = write_report_files(report, tmp_path / "reports")
    published = FakeArtifacts()
    keys = publish_artifacts(report, files, create_markdown=published.markdown, create_table=published.table)
    assert keys == ["monthly-report"] + [f"monthly-report-{s.key}" for s in report.sections]
    assert [c[1]["key"] for c in published.calls] == keys
    summary = published.calls[0][1]["markdown"]
    assert files.xlsx.as_uri() in summary and files.html.as_uri() in summary and summary.startswith("# 月度报告")
    money = next(c[1] for c in published.calls if c[1]["key"] == "monthly-report-money")
    assert files.csvs["money"].as_uri() in money["description"]
    student = next(r for r in money["table"] if r["项目 programme"] == "HA-STUDENT")
    assert student["本月支付 paid this month"] == "¥4,999.99"


def test_the_markdown_summary_puts_targets_and_key_figures_first(paid_this_month):
    text = markdown_summary(paid_this_month.report())
    assert "| 本月支付 paid this month | ¥4,999.99 |" in text
    assert "| 金秋助学资助学生 Students funded (autumn student aid) | 54 | 2 | 3.7% |" in text
    assert "| 帮扶结对 Assistance pairings | 30 | 0 | 0.0% |" in text
    assert "| 结果未知支付 payouts with unknown outcome | **1** |" in text


def test_the_report_writes_nothing_to_the_database(paid_this_month):
    from models.audit import AuditEvent

    def counts():
        with transaction(paid_this_month.engine) as s:
            return tuple(len(s.execute(select(t)).all()) for t in (AuditEvent, LedgerPosting, Case, Payout))

    before = counts()
    paid_this_month.report()
    assert counts() == before


def test_dates_in_the_report_are_local(dated_ledger):
    report = build_monthly_report("2025-03", engine=dated_ledger)
    assert report.as_at == datetime(2025, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Shanghai
