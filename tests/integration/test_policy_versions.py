"""A later policy version never changes a case already under way.

Staff change policy by adding a version to the policy file; the version a case was first
verified under is recorded, and its re-verification and its approval keep using it, even when
the new version is in force on the case's application date (a change published late, in force
from an earlier day). A case verified after the change uses the new version.

The policy file here is written by the test (two versions with round, different figures), not
the shipped sample.
"""

from datetime import date

import pytest
from sqlalchemy import select

from models.cases import VerificationRecord
from models.enums import CaseStatus
from models.errors import RuleViolation
from models.policy import load_policy
from services import approvals
from services.cases import load_case
from services.db import transaction
from services.intake import add_documents
from services.settings import get_settings
from services.verification import verify_hardship
from tests import factories
from tests.factories import as_staff, intake_hardship, resident_id
from tests.integration.test_hardship_intake_verification import LIVING_DOCS, application, registry_for

APPLIED = "2026-03-02"


def version_toml(version: str, effective_from: date, *, line_yuan: int, living_cap_yuan: int,
                 grassroots_limit_yuan: int, documents: tuple[str, ...] = tuple(LIVING_DOCS)) -> str:
    listed = ", ".join(f'"{kind}"' for kind in documents)
    return f"""
[[versions]]
version = "{version}"
effective_from = {effective_from.isoformat()}
subsistence_line_monthly_yuan = {line_yuan}
tiers.deep = {{ income_line_multiple = 1, income_comparison = "less_than", months_below_line = 6, months_comparison = "more_than" }}
tiers.relative = {{ income_line_multiple = 2, income_comparison = "less_than", rigid_causes = ["serious_illness"] }}
tiers.accident = {{ spending_share_percent = 80, spending_comparison = "more_than", income_line_multiple = 3, income_comparison = "at_most", sudden_events = ["accident"] }}
categories.living_relief = {{ cap_yuan = {living_cap_yuan} }}
categories.medical_relief = {{ cap_yuan = 10000 }}
categories.emergency_relief = {{ cap_yuan = 5000 }}
categories.student_aid.registered = {{ university_yuan = 5000, senior_high_yuan = 3000 }}
categories.student_aid.other = {{ university_yuan = 4000, senior_high_yuan = 2000 }}
categories.winter_relief = {{ deep_yuan = 1500, relative_yuan = 1000, accident_yuan = 800 }}
categories.summer_relief = {{ deep_yuan = 500, relative_yuan = 300, accident_yuan = 300 }}
household = {{ yearly_cap_yuan = 20000 }}
migrant_workers = {{ min_months_employed_in_district = 12 }}
exclusions = {{ homes_at_least = 2, private_school_fees_above_public_multiple = 2, public_school_fees_per_year = {{ university_yuan = 5000, senior_high_yuan = 1600 }} }}
approval = {{ grassroots_limit_yuan = {grassroots_limit_yuan}, district_limit_yuan = 20000, two_approvers_above_yuan = 5000 }}
documents = {{ living_relief = [{listed}], medical_relief = ["application_form"], student_aid = ["application_form"], winter_relief = ["application_form"], summer_relief = ["application_form"], emergency_relief = ["application_form"] }}
public_notice = {{ working_days = 5 }}
"""


# Version N: the figures a case is first verified under.
FIRST = version_toml("2026.1", date(2026, 1, 1), line_yuan=1000, living_cap_yuan=3000, grassroots_limit_yuan=2000)
# Version N+1, added later but in force from 1 March, before the application date: a higher
# 低保 line, a lower cap for living relief, a lower grassroots approval limit, one more document.
LATER = version_toml("2026.2", date(2026, 3, 1), line_yuan=1200, living_cap_yuan=1200, grassroots_limit_yuan=1000,
                     documents=(*LIVING_DOCS, "unemployment_proof"))


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """The policy file the services read (settings), holding version N only; ``add_version``
    appends N+1 as staff would."""
    path = tmp_path / "policy.toml"
    path.write_text('locality = "test district"\n' + FIRST, encoding="utf-8")
    monkeypatch.setenv("UNIONAID_POLICY_FILE", str(path))
    get_settings.cache_clear()

    def add_version():
        path.write_text(path.read_text(encoding="utf-8") + LATER, encoding="utf-8")
        assert [v.version for v in load_policy(path).versions] == ["2026.1", "2026.2"]

    yield add_version
    get_settings.cache_clear()


def _records(engine, number):
    with transaction(engine) as s:
        case = load_case(s, number)
        return s.execute(select(VerificationRecord).where(VerificationRecord.case_id == case.id)
                         .order_by(VerificationRecord.id)).scalars().all()


def _reasons(record):
    return {r["rule"]: r["reason"] for r in record.results}


def _fingerprint(version_id):
    return load_policy(get_settings().policy_file).version(version_id).fingerprint()


def test_a_case_re_verified_after_a_new_version_keeps_the_outcome_and_figures_of_its_first(world, policy_file):
    # 1,500 yuan requested; per capita 300 yuan a month: within N's cap and below both lines.
    number = intake_hardship(application(applied_on=APPLIED, documents_provided=LIVING_DOCS[:3]), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.needs_information
    policy_file()  # N+1 is added while the case waits for its documents
    add_documents(number, LIVING_DOCS[3:], actor=as_staff("CW1"), engine=world)

    outcome = verify_hardship(number, registry_for(world), engine=world)

    # Under N+1 it would be rejected (cap ¥1,200.00) and would miss the employment certificate.
    assert (outcome.status, outcome.passed, outcome.missing_documents) == (CaseStatus.awaiting_approval, True, ())
    first, again = _records(world, number)
    assert (first.policy_version, again.policy_version) == ("2026.1", "2026.1")
    assert again.policy_fingerprint == first.policy_fingerprint == _fingerprint("2026.1")
    reasons = _reasons(again)
    assert "¥1,000.00" in reasons["per_capita_income"] and "¥1,200.00" not in reasons["per_capita_income"]
    assert "¥3,000.00" in reasons["category_cap"]
    assert "Policy version: 2026.1" in outcome.markdown


def test_a_case_verified_before_a_new_version_is_approved_by_the_route_of_its_own_version(world, policy_file):
    number = intake_hardship(application(applied_on=APPLIED), engine=world)
    assert verify_hardship(number, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    policy_file()

    # ¥1,500.00 is within N's grassroots limit (¥2,000.00): the unit's own approver decides,
    # though N+1 (limit ¥1,000.00) would send it to the district.
    approved = approvals.approve_case(number, approver=as_staff("CW2"), amount_fen=150000, reason="eligible", engine=world)

    assert (approved.status, approved.approved_fen) == (CaseStatus.approved, 150000)


def test_a_case_verified_after_the_new_version_is_decided_under_it(world, policy_file):
    policy_file()
    refused = intake_hardship(application(applied_on=APPLIED), engine=world)
    within = intake_hardship(application(applied_on=APPLIED, requested_amount_yuan="1100",
                                         applicant_member_number="M0002", resident_id=resident_id(seq=2),
                                         documents_provided=[*LIVING_DOCS, "unemployment_proof"]), engine=world)

    outcome = verify_hardship(refused, registry_for(world), engine=world)
    assert outcome.status == CaseStatus.rejected
    [record] = _records(world, refused)
    assert record.policy_version == "2026.2" and record.policy_fingerprint == _fingerprint("2026.2")
    assert [r["rule"] for r in record.results if not r["passed"]] == ["category_cap", "required_documents"]
    assert "¥1,200.00" in _reasons(record)["category_cap"]
    assert "¥1,200.00" in _reasons(record)["per_capita_income"]

    assert verify_hardship(within, registry_for(world), engine=world).status == CaseStatus.awaiting_approval
    assert [r.policy_version for r in _records(world, within)] == ["2026.2"]
    with pytest.raises(RuleViolation, match="district approver"):  # ¥1,100.00 is above N+1's grassroots limit
        approvals.approve_case(within, approver=as_staff("CW2"), amount_fen=110000, reason="eligible", engine=world)
