"""Mutual insurance from the command line: a union's enrolment list with a bad row, the coverage
against the plan, claims from a hospital's CSV with a bad row, a claim's view for a reviewer and
for a finance officer, documents that arrive later, a rejection with a reason code; refusals name
the field and repeat no personal data."""

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from casetypes.insurance import service
from tests import factories
from tests.conftest import NOWHERE_URL
from tests.integration.test_cli import cli_on
from tests.integration.test_insurance import fund, products  # noqa: F401  (products: the sample product file)

HEADER = "caseworker,member_number,product,event_date,notified_on,received_on,hospital_days,expenses_yuan," \
         "claimed_yuan,diagnosis,invoices,documents"
ALL_DOCUMENTS = "application_form;membership_proof;resident_id;diagnosis;discharge_summary;medical_invoices"


@pytest.fixture
def cli(database_url, monkeypatch, tmp_path, products):
    with cli_on(database_url, monkeypatch, tmp_path) as invoke:
        factories.world(invoke.engine, tmp_path)
        with temporary_settings({PREFECT_API_URL: NOWHERE_URL + "/api"}):
            yield invoke


def enrol(cli, tmp_path, *rows):
    path = tmp_path / "enrol.csv"
    path.write_text("member_number,product,shares,cover_from\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return cli("insurance", "enrol", str(path), "--as", "CW1")


def claims_file(tmp_path, *rows):
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def claim_row(member="M0001", days="12", documents=ALL_DOCUMENTS, diagnosis="急性阑尾炎"):
    return (f"CW1,{member},supplementary_medical,2026-06-01,2026-06-05,2026-06-10,{days},2000,1500,"
            f"{diagnosis},INV-0001 2000.00,{documents}")


def test_an_enrolment_list_enrols_its_good_rows_names_the_bad_one_and_shows_the_coverage(cli, tmp_path):
    result = enrol(cli, tmp_path, "M0001,supplementary_medical,1,2026-01-01", "M0002,supplementary_medical,x,2026-01-01",
                   "M0003,major_illness,1,2026-01-01")
    assert result.exit_code == 1, result.output
    assert "3 rows: 2 enrolled, 0 unchanged, 1 rejected" in result.output
    assert "shares" in result.output and "Traceback" not in result.output
    coverage = cli("insurance", "coverage", "--year", "2026")
    assert coverage.exit_code == 0, coverage.output
    assert "supplementary_medical" in coverage.output and "major_illness" in coverage.output
    assert "50.00" in coverage.output and "60.00" in coverage.output  # one share each paid in


def test_claims_from_a_csv_are_taken_by_row_a_bad_row_named_and_no_diagnosis_repeated(cli, tmp_path):
    assert enrol(cli, tmp_path, "M0001,supplementary_medical,1,2026-01-01",
                 "M0002,supplementary_medical,2,2026-01-01").exit_code == 0
    fund(cli.engine, "supplementary_medical", 5_000_000)
    path = claims_file(tmp_path, claim_row(), claim_row(member="M0002", days="-3", diagnosis="乳腺肿瘤术后"))
    result = cli("intake", "insurance", str(path), "--as", "CW1", "--no-process")
    assert result.exit_code == 1
    assert "MI-2026-000001 submitted" in result.output
    assert "row 3: hospital_days:" in result.output
    assert "1 application(s) not taken; 1 taken" in result.output
    assert "乳腺肿瘤" not in result.output and "急性阑尾炎" not in result.output and "Traceback" not in result.output


def test_a_reviewer_sees_the_calculation_and_diagnosis_finance_sees_no_diagnosis(cli, tmp_path):
    assert enrol(cli, tmp_path, "M0001,supplementary_medical,1,2026-01-01").exit_code == 0
    fund(cli.engine, "supplementary_medical", 5_000_000)
    assert cli("intake", "insurance", str(claims_file(tmp_path, claim_row())), "--as", "CW1",
               "--no-process").exit_code == 0
    service.check_claim("MI-2026-000001", engine=cli.engine)
    shown = cli("insurance", "show", "MI-2026-000001", "--as", "AP1")
    assert shown.exit_code == 0, shown.output
    assert "approved" in shown.output and "diagnosis: 急性阑尾炎" in shown.output
    assert "calculated" in shown.output and "review: automatic" in shown.output
    finance = cli("insurance", "show", "MI-2026-000001", "--as", "FI1")
    assert "急性阑尾炎" not in finance.output and "Traceback" not in finance.output


def test_documents_that_arrive_later_send_the_claim_back_to_its_check(cli, tmp_path):
    assert enrol(cli, tmp_path, "M0001,supplementary_medical,1,2026-01-01").exit_code == 0
    fund(cli.engine, "supplementary_medical", 5_000_000)
    short = claim_row(documents="application_form;membership_proof;resident_id;diagnosis")
    assert cli("intake", "insurance", str(claims_file(tmp_path, short)), "--as", "CW1", "--no-process").exit_code == 0
    service.check_claim("MI-2026-000001", engine=cli.engine)
    wrong = cli("insurance", "documents", "MI-2026-000001", "payslip_scan", "--as", "CW1")
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
    result = cli("insurance", "documents", "MI-2026-000001", "discharge_summary", "medical_invoices", "--as", "CW1")
    assert result.exit_code == 0, result.output
    assert "documents recorded; verifying" in result.output


def test_a_reviewer_rejects_with_a_reason_code_of_the_product_file_and_not_with_another(cli, tmp_path, products):
    products(sample_percent=100)  # every claim reviewed
    assert enrol(cli, tmp_path, "M0001,supplementary_medical,1,2026-01-01").exit_code == 0
    fund(cli.engine, "supplementary_medical", 5_000_000)
    assert cli("intake", "insurance", str(claims_file(tmp_path, claim_row())), "--as", "CW1",
               "--no-process").exit_code == 0
    service.check_claim("MI-2026-000001", engine=cli.engine)
    unknown = cli("insurance", "reject", "MI-2026-000001", "--code-reason", "NOT-A-CODE", "--reason", "不符", "--as", "AP1")
    assert unknown.exit_code == 1 and "code" in unknown.output and "NOT-A-CODE" not in unknown.output
    rejected = cli("insurance", "reject", "MI-2026-000001", "--code-reason", "false_documents", "--reason", "发票不清", "--as", "AP1")
    assert rejected.exit_code == 0, rejected.output
    assert "rejected (false_documents)" in rejected.output
