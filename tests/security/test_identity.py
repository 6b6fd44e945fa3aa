"""Staff prove who they are: a decision counts only with the one-time code of the person it
names. Tried as a colleague who knows another's staff number would: in the command line, in the
run forms, straight at the services; and as one who saw a code once."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.enums import CaseStatus
from models.errors import ConfigurationError, NotAuthenticated, RuleViolation
from models.identity import StaffClaim
from models.org import Staff, StaffCredential
from services import approvals, auth, member_import
from services.case_queries import case_detail
from services.db import transaction
from services.settings import Settings
from tests import factories
from tests.factories import as_staff, fresh_code, one_time_code
from tests.integration.test_cli import cli  # noqa: F401 - the fixture

STAFF = ("SU1", "CW1", "CW2", "AP1", "FI1")


@pytest.fixture
def office(cli, tmp_path):  # noqa: F811 - the fixture above
    """The command line on a world whose staff have their codes."""
    factories.world(cli.engine, tmp_path)
    factories.enrol(cli.engine, *STAFF)
    return cli


def status(engine, number) -> CaseStatus:
    return case_detail(number, engine=engine).case.status


def credential(engine, number) -> StaffCredential:
    with transaction(engine) as s:
        staff = s.execute(select(Staff).where(Staff.staff_number == number)).scalar_one()
        return s.get(StaffCredential, staff.id)


def events(engine, action):
    with transaction(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def test_typing_another_approvers_number_without_their_code_approves_nothing(office):
    number = factories.awaiting_approval(office.engine).case_number
    refused = office("approve", number, "--as", "AP1", "--code", "123456", "--reason", "I am AP1")
    assert refused.exit_code == 1 and "one-time code is wrong" in refused.output
    assert status(office.engine, number) == CaseStatus.awaiting_approval
    assert credential(office.engine, "AP1").failed_attempts == 1  # counted although nothing was stored


def test_ones_own_code_does_not_prove_someone_elses_number(office):
    number = factories.awaiting_approval(office.engine).case_number
    mine = fresh_code(office.engine, "CW2")
    refused = office("approve", number, "--as", "AP1", "--code", mine, "--reason", "with my own code")
    assert refused.exit_code == 1 and "wrong" in refused.output
    assert status(office.engine, number) == CaseStatus.awaiting_approval


def test_the_approvers_own_code_approves_and_the_trail_says_how_they_proved_it(office):
    number = factories.awaiting_approval(office.engine).case_number
    code = fresh_code(office.engine, "AP1")
    done = office("approve", number, "--as", "AP1", "--code", code, "--reason", "eligible", "--amount", "1500")
    assert done.exit_code == 0, done.output
    [approve] = [e for e in events(office.engine, "approve") if e.case_number == number]
    assert (approve.actor, approve.payload["authenticated"]) == ("AP1", "totp")
    with transaction(office.engine) as s:
        trail = " ".join(f"{e.actor} {e.reason} {e.payload}" for e in s.execute(select(AuditEvent)).scalars())
    assert code not in trail


def test_a_code_is_used_once(office):
    first = factories.awaiting_approval(office.engine).case_number
    second = factories.awaiting_approval(office.engine, requested_fen=100000).case_number
    code = fresh_code(office.engine, "AP1")
    assert office("reject", first, "--as", "AP1", "--code", code, "--reason", "not eligible").exit_code == 0
    again = office("reject", second, "--as", "AP1", "--code", code, "--reason", "the same code again")
    assert again.exit_code == 1 and "used already" in again.output
    assert status(office.engine, second) == CaseStatus.awaiting_approval


def test_two_uses_of_one_code_at_the_same_moment_let_exactly_one_through(office):
    claim = StaffClaim("AP1", fresh_code(office.engine, "AP1"))
    outcomes = []
    for _ in range(2):
        try:
            with transaction(office.engine) as s:
                outcomes.append(auth.verify(s, claim).staff_number)
        except NotAuthenticated as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == "AP1" and "used already" in outcomes[1]


def test_five_wrong_codes_lock_the_account_until_a_supervisor_unlocks_it(office):
    number = factories.awaiting_approval(office.engine).case_number
    for _ in range(auth.LOCK_AFTER):
        office("reject", number, "--as", "AP1", "--code", "000000", "--reason", "guessing")
    assert credential(office.engine, "AP1").locked_at is not None
    [locked] = events(office.engine, "staff_locked")
    assert locked.payload["staff_number"] == "AP1"
    right = office("reject", number, "--as", "AP1", "--reason", "the right code, too late")
    assert right.exit_code == 1 and "locked" in right.output
    refused = office("staff", "unlock", "AP1", "--as", "CW1")
    assert refused.exit_code == 1 and "supervisor" in refused.output
    assert office("staff", "unlock", "AP1", "--as", "SU1").exit_code == 0
    assert office("reject", number, "--as", "AP1", "--reason", "unlocked").exit_code == 0


def test_a_revoked_code_proves_nothing(office):
    code = fresh_code(office.engine, "AP1")
    auth.revoke("AP1", by=as_staff("SU1"), engine=office.engine)
    with pytest.raises(NotAuthenticated, match="no one-time code set up"), transaction(office.engine) as s:
        auth.verify(s, StaffClaim("AP1", code))


def test_a_bare_staff_number_is_refused_by_the_services_themselves(office):
    number = factories.awaiting_approval(office.engine).case_number
    with pytest.raises(NotAuthenticated, match="must prove who they are"):
        approvals.approve_case(number, approver="AP1", amount_fen=1000, reason="a bare number", engine=office.engine)
    assert status(office.engine, number) == CaseStatus.awaiting_approval


def test_only_a_supervisor_enrols_and_the_app_reads_a_standard_otpauth_uri(office):
    refused = office("staff", "enrol", "CW1", "--as", "CW2")
    assert refused.exit_code == 1 and "supervisor" in refused.output
    enrolled = office("staff", "enrol", "CW1", "--as", "SU1")
    assert enrolled.exit_code == 0, enrolled.output
    uri = next(line for line in enrolled.output.splitlines() if line.startswith("otpauth://totp/"))
    totp = pyotp.parse_uri(uri)  # what any RFC 6238 app does with the QR code
    assert totp.digits == 6 and totp.interval == 30 and totp.issuer == "unionaid"
    assert totp.now() == one_time_code(office.engine, "CW1")  # the new secret is the stored one


def test_the_operator_enrols_only_while_no_supervisor_is_enrolled(office):
    refused = office("staff", "enrol", "CW1")  # as the operator (system), after set-up
    assert refused.exit_code == 1 and "supervisor who proves who they are" in refused.output


def test_demo_codes_are_refused_outside_development(office):
    result = office("staff", "demo-code", "AP1")
    assert result.exit_code == 1 and "development only" in result.output


def test_stored_secrets_are_encrypted_with_a_key_outside_the_database(office):
    shown = office("staff", "enrol", "FI1", "--as", "SU1").output
    secret = pyotp.parse_uri(next(line for line in shown.splitlines() if line.startswith("otpauth://"))).secret
    assert secret not in credential(office.engine, "FI1").secret_encrypted


def test_members_import_needs_a_proved_caseworker_or_supervisor(office, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("member_number,name,resident_id,unit_code,join_date\n"
                    f"M0009,New,{factories.resident_id(seq=9)},G001,2015-01-01\n", encoding="utf-8")
    nobody = office("members", "import", str(path), "--as", "NOBODY")
    assert nobody.exit_code == 1 and "NOBODY does not exist" in nobody.output
    finance = office("members", "import", str(path), "--as", "FI1")
    assert finance.exit_code == 1 and "needs the role caseworker or supervisor" in finance.output
    assert office("members", "import", str(path), "--as", "CW1").exit_code == 0


def test_a_caseworker_cannot_redirect_a_members_payouts_by_importing_a_new_card(office, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("member_number,name,resident_id,mobile,unit_code,join_date,bank_card\n"
                    f"M0001,Member 1,{factories.resident_id(seq=1)},13800130001,G001,2015-01-01,"
                    f"{factories.bank_card(99)}\n", encoding="utf-8")
    refused = office("members", "import", str(path), "--as", "CW1")
    assert refused.exit_code == 1 and "bank_card" in refused.output and "supervisor" in refused.output
    assert factories.bank_card(99) not in refused.output


def test_grassroots_staff_import_only_their_own_units_members(office, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("member_number,name,resident_id,unit_code,join_date\n"
                    f"M0010,Elsewhere,{factories.resident_id(seq=10)},G002,2015-01-01\n", encoding="utf-8")
    assert office("members", "import", str(path), "--as", "CW1").exit_code == 1
    report = member_import.import_members(path, actor=as_staff("CW1"), engine=office.engine)
    assert [(p.row, p.field, p.problem) for p in report.problems] == [
        (2, "unit_code", "is another unit's: grassroots staff import their own unit's members")]
    assert report.created == 0


def test_documents_are_recorded_only_by_a_proved_caseworker(office):
    number = factories.hardship_case(office.engine).case_number
    nobody = office("cases", "documents", number, "income_proof", "--as", "NOBODY")
    assert nobody.exit_code == 1 and "NOBODY does not exist" in nobody.output
    wrong = office("cases", "documents", number, "income_proof", "--as", "CW1", "--code", "000000")
    assert wrong.exit_code == 1 and "wrong" in wrong.output
    with transaction(office.engine) as s:
        assert not s.execute(select(AuditEvent).where(AuditEvent.action == "documents_added")).scalars().all()


def test_a_code_typed_without_a_staff_number_that_exists_echoes_no_personal_data(office):
    number = factories.awaiting_approval(office.engine).case_number
    typed = factories.resident_id(seq=1)
    refused = office("approve", number, "--as", typed, "--code", "123456", "--reason", "x")
    assert refused.exit_code == 1 and typed not in refused.output


@pytest.mark.parametrize("weak", ["", "x", "a" * 64, "12345678" * 4])
def test_production_refuses_empty_short_or_repetitive_secrets(monkeypatch, weak):
    monkeypatch.setenv("UNIONAID_ENVIRONMENT", "production")
    for name in ("PII_HASH_KEY", "PII_ENCRYPTION_KEY", "STAFF_SECRET_KEY", "AUDIT_KEY", "AUDIT_SIGNING_KEY",
                 "PAYMENT_SECRET", "REGISTRY_SECRET"):
        monkeypatch.setenv(f"UNIONAID_{name}", f"Xk3-{name}-9fQz_Lm2vR8wTb5nYc7")
    monkeypatch.setenv("UNIONAID_STAFF_SECRET_KEY", weak)
    with pytest.raises(ConfigurationError, match="UNIONAID_STAFF_SECRET_KEY"):
        Settings()


def test_a_supervisor_is_needed_to_add_staff_once_one_is_enrolled(office):
    refused = office("staff", "add", "S900", "Someone", "--unit", "G001", "--roles", "approver", "--limit", "20000")
    assert refused.exit_code == 1 and "supervisor" in refused.output
    with pytest.raises(RuleViolation, match="needs the role supervisor; CW1 does not have it"):
        from models.enums import Role
        from services import org

        org.add_staff("S901", "Someone", "G001", [Role.approver], actor=as_staff("CW1"), engine=office.engine)
    assert office("staff", "add", "S900", "Someone", "--unit", "G001", "--roles", "caseworker", "--as", "SU1").exit_code == 0


@pytest.mark.parametrize("content,problem", [
    ("member_number,name,resident_id,unit_code,join_date\n", "has no rows"),
    ("member_number,name,name,resident_id,unit_code,join_date\nM9,A,B,X,G001,2015-01-01\n",
     "column name appears twice"),
    ("member_number,name,resident_id,unit_code,join_date,remark\nM9,A,X,G001,2015-01-01,x\n",
     "unknown column(s): remark"),
    ("member_number,name,resident_id,unit_code,join_date\nM9,A,X,G001,2015-01-01,extra\n",
     "row 2 has more values than the header has columns"),
])
def test_an_import_file_that_would_lose_or_mean_nothing_is_refused_by_name(office, tmp_path, content, problem):
    path = tmp_path / "m.csv"
    path.write_text(content, encoding="utf-8")
    result = office("members", "import", str(path), "--as", "CW1")
    assert result.exit_code == 1 and problem in result.output and "Traceback" not in result.output


@pytest.fixture
def batch_waiting(engine, tmp_path):
    """A student-aid campaign of three past its public notice, waiting for its batch approval;
    created naming AP1 as its approver."""
    from datetime import date

    from models.enums import CaseType
    from services import campaigns, ledger
    from tests.integration.test_campaigns import add_members, student_campaign, through_notice

    factories.world(engine, tmp_path)
    add_members(engine, tmp_path, range(101, 105))
    ledger.add_programme("HA-STUDENT", "Student aid", CaseType.hardship, 2026, 5_000_000, engine=engine)
    numbers = student_campaign(engine, tmp_path)
    through_notice(engine)
    assert campaigns.close_notice("student-aid-2026", today=date(2026, 9, 29), engine=engine)
    factories.enrol(engine, *STAFF)
    return engine, numbers


@pytest.mark.parametrize("approver", ["system", "AP1", "CW2"], ids=["the system", "no code", "someone else's code"])
def test_a_campaign_batch_is_not_approved_in_the_name_stored_at_its_creation(batch_waiting, approver):
    from services import campaigns

    engine, numbers = batch_waiting
    actor = {"system": "system", "AP1": StaffClaim("AP1", "000000"),
             "CW2": StaffClaim("AP1", fresh_code(engine, "CW2"))}[approver]
    with pytest.raises(NotAuthenticated):
        campaigns.approve_batch("student-aid-2026", approver=actor, engine=engine)
    assert {status(engine, n) for n in numbers} == {CaseStatus.awaiting_approval}


def test_the_batch_is_approved_as_the_approver_who_proves_it_with_one_code(batch_waiting):
    from services import campaigns

    engine, numbers = batch_waiting
    claim = StaffClaim("AP1", fresh_code(engine, "AP1"))
    assert campaigns.approve_batch("student-aid-2026", approver=claim, engine=engine) == {"approved": 3}
    approved = [e for e in events(engine, "approve") if e.case_number in numbers]
    assert [(e.actor, e.payload["authenticated"]) for e in approved] == [("AP1", "totp")] * 3
    with pytest.raises(NotAuthenticated, match="this one-time code was used already"):  # once, for the batch
        campaigns.approve_batch("student-aid-2026", approver=claim, engine=engine)
