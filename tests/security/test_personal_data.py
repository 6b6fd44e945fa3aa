"""Personal data stays where it belongs: not in what the Prefect server answers, not in a log
line, not in a database error, not as typed in a free-text field, not in an artifact heading.
Tried as someone who types an ID into the wrong field, or a whole medical history into a reason."""

from __future__ import annotations

import logging

import pytest
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools.validation import ValidationError as ServerValidationError
from prefect.utilities.schema_tools.validation import validate
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from casetypes.hardship import hardship_intake
from models.cases import Approval, HardshipDetail
from models.enums import CaseStatus
from models.errors import RuleViolation
from services import approvals
from services.case_files import case_text
from services.cases import transition_case
from services.db import make_engine, transaction
from services.masking import install_masking
from tests import factories
from tests.factories import as_staff, bank_card, intake_hardship, resident_id
from tests.integration.test_cli import cli  # noqa: F401 - the fixture
from tests.integration.test_hardship_intake_verification import application

DIAGNOSIS = "确诊急性白血病 acute leukaemia"
NAME = "王建国"
SECRET_ID = resident_id(seq=7)
MOBILE = "13912345678"


def _form(**changes):
    data = application().model_dump(mode="json")
    data.update(changes)
    return data


BAD_FORMS = {
    "an ID too short": {"resident_id": SECRET_ID[:12]},
    "an ID too long": {"resident_id": SECRET_ID + SECRET_ID},
    "a reason too long": {"reason": (DIAGNOSIS + " ") * 200},
    "a name too long": {"household": [{"name": NAME * 60, "relation": "self", "monthly_income_yuan": "600"}]},
}


@pytest.mark.parametrize("bad", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_the_prefect_servers_own_check_of_a_form_never_repeats_what_was_typed(bad):
    schema = parameter_schema(hardship_intake).model_dump_for_openapi()
    try:
        validate({"application": _form(**bad), "one_time_code": "123456"}, schema, raise_on_error=True)
    except ServerValidationError as exc:  # what the server would answer with a 422
        said = str(exc)
        assert SECRET_ID[:12] not in said and NAME not in said and "leukaemia" not in said


@pytest.mark.parametrize("bad", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_a_form_that_fails_in_the_run_leaves_no_value_in_its_state_or_its_log(bad, caplog):
    caplog.set_level(logging.DEBUG)
    install_masking()  # as every process serving our flows does
    with pytest.raises(ParameterTypeError) as failed:
        hardship_intake.validate_parameters({"application": _form(**bad), "one_time_code": "123456"})
    for said in (str(failed.value), caplog.text):
        assert SECRET_ID[:12] not in said and NAME not in said and "leukaemia" not in said
    assert "application." in str(failed.value)  # the state still names the field


def test_a_database_error_never_carries_the_values_of_its_statement(engine):
    ours = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with pytest.raises(DBAPIError) as failed, ours.begin() as conn:
            conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (:id, :seq, :hash)"),
                         {"id": 7, "seq": 0, "hash": f"{NAME} {DIAGNOSIS} {SECRET_ID}"})
    finally:
        ours.dispose()
    assert NAME not in str(failed.value) and SECRET_ID not in str(failed.value)
    assert "parameters hidden" in str(failed.value)


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def test_free_text_is_stored_encrypted_and_read_back_only_by_staff_whose_work_needs_it(world):
    typed = f"son's ID {SECRET_ID}, mobile {MOBILE}, card {bank_card(9)}; {DIAGNOSIS}"
    number = intake_hardship(application(reason=typed, oral_application=True,
                                         oral_record=factories.oral_record(reasons=typed)), engine=world)
    for to in (CaseStatus.verifying, CaseStatus.awaiting_approval):
        transition_case(number, to, actor="system", reason="checked", engine=world)
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason=f"checked: {DIAGNOSIS}",
                           engine=world)
    with transaction(world) as s:
        detail = s.execute(select(HardshipDetail)).scalar_one()
        stored = [detail.reason, detail.oral_record, s.execute(select(Approval.reason)).scalar_one()]
    for value in stored:
        assert "leukaemia" not in value and SECRET_ID not in value and MOBILE not in value

    text = case_text(number, actor=as_staff("CW1"), engine=world)
    assert DIAGNOSIS in text.reason and DIAGNOSIS in text.oral_record and "son's ID" in text.reason
    assert SECRET_ID not in text.reason and MOBILE not in text.reason  # identifiers were masked on the way in
    assert text.decisions == [("approve", f"checked: {DIAGNOSIS}")]
    with pytest.raises(RuleViolation, match="needs the role approver or caseworker or supervisor; FI1"):
        case_text(number, actor=as_staff("FI1"), engine=world)
    [read] = [e for e in case_history_of(world, number) if e.action == "case_text_read"]
    assert (read.actor, read.payload["authenticated"]) == ("CW1", "totp")


def case_history_of(engine, number):
    from services.audit import case_history

    with transaction(engine) as s:
        return case_history(s, number)


def test_the_payment_sandbox_keeps_no_full_card_number(tmp_path):
    import httpx

    from sandbox import payment
    from sandbox.testing import running_server
    from services.payment_provider import HttpPaymentProvider
    from tests.integration.test_payouts import MERCHANT, SECRET

    db = tmp_path / "payment.db"
    with running_server(payment.create_app(str(db), merchant_id=MERCHANT, secret=SECRET)) as url:
        provider = HttpPaymentProvider(httpx.Client(timeout=5), url, MERCHANT, SECRET)
        transfer = provider.create_transfer("HA-2026-000001-P1", "Member One", bank_card(5), 150000, "unionaid")
        again = provider.create_transfer("HA-2026-000001-P1", "Member One", bank_card(5), 150000, "unionaid")
        provider.close()
    assert again.provider_id == transfer.provider_id  # a repeat is still told from a conflict
    stored = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("payment.db-*"))
    assert bank_card(5).encode() not in stored


def test_free_text_written_before_it_was_encrypted_is_encrypted_by_the_migration(world):
    from alembic import command

    from services import pii
    from services.migrate import alembic_config, upgrade

    number = intake_hardship(application(reason=f"before: {DIAGNOSIS}"), engine=world)
    config = alembic_config()
    with world.connect() as connection:  # as it was: the text in clear
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    with transaction(world) as s:
        assert s.execute(select(HardshipDetail.reason)).scalar_one() == f"before: {DIAGNOSIS}"
    upgrade(world)
    with transaction(world) as s:
        stored = s.execute(select(HardshipDetail.reason)).scalar_one()
    assert "leukaemia" not in stored and pii.open_text(stored) == f"before: {DIAGNOSIS}"
    assert number


def test_the_case_text_is_read_from_the_command_line_by_role(cli, tmp_path):
    factories.world(cli.engine, tmp_path)
    factories.enrol(cli.engine, "CW1", "FI1")
    number = intake_hardship(application(reason=f"the applicant is {DIAGNOSIS}"), engine=cli.engine)
    shown = cli("cases", "text", number, "--as", "CW1")
    assert shown.exit_code == 0 and f"reason: the applicant is {DIAGNOSIS}" in shown.output
    refused = cli("cases", "text", number, "--as", "FI1")
    assert refused.exit_code == 1 and "needs the role approver or caseworker or supervisor" in refused.output
    assert "leukaemia" not in refused.output
