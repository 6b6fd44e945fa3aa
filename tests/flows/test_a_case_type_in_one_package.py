"""A case type is one package and one registry line: the small grant of ``tests/small_grant``
goes intake → verification → approval → payout → closed through the engine's one driver, with
its own form, rule, approval policy and moves, and no engine code names it."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from casetypes import REGISTRY, register
from deployments.registry import DEPLOYMENTS, _case_type_deployments  # built before any test registers a type
from flows.case import case as case_flow
from models.audit import AuditEvent
from models.cases import Case
from models.clocks import Deadline
from models.enums import CaseStatus, CaseType
from models.errors import RuleViolation
from models.working_days import working_days_after
from services import approvals, ledger
from services.audit import verify_chain
from services.db import transaction
from tests import factories
from tests.factories import as_staff, fresh_code, typed_in
from tests.small_grant import PROGRAMME, SMALL_GRANT, SPEC, GrantApplication, small_grant_intake

ROOT = Path(__file__).resolve().parents[2]
NAMES = re.compile(r"(?i:small.grant)|\bSG-\d|\"SG\"")
ENGINE = ("casetypes", "deployments", "devtools", "flows", "models", "services", "tasks", "unionaid_cli")


@pytest.fixture
def registered():
    register(SPEC)  # the type's one registry line
    yield SPEC
    REGISTRY.pop(SMALL_GRANT)


@pytest.fixture
def grants(registered, services_up):
    ledger.add_programme(PROGRAMME, "Small grants", SMALL_GRANT, factories.YEAR, 500_000, actor=as_staff("FI1"),
                         engine=services_up)
    return services_up


def apply(amount_yuan):
    return small_grant_intake(*typed_in(GrantApplication(caseworker="CW1", applicant_member_number="M0001",
                                                         amount_yuan=amount_yuan, reason="a broken boiler")))


def deadline_of(engine, number):
    with transaction(engine) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        deadline = s.execute(select(Deadline).where(Deadline.case_id == case.id, Deadline.kind == "decision")).scalar_one()
        return deadline.state.value, deadline.started_on, deadline.due_on


def stored(engine, number):
    with transaction(engine) as s:
        case = s.execute(select(Case).where(Case.case_number == number)).scalar_one()
        actions = [e.action for e in s.execute(select(AuditEvent).where(AuditEvent.case_number == number)
                                               .order_by(AuditEvent.seq)).scalars()]
        assert verify_chain(s).intact
        return case, actions


def test_a_small_grant_is_checked_approved_paid_and_closed_by_the_one_driver(grants):
    number = apply("250")
    assert number.startswith(f"SG-{factories.YEAR}-")
    case, _ = stored(grants, number)
    assert (case.case_type, case.status) == (SMALL_GRANT, CaseStatus.awaiting_approval)
    state, started_on, due_on = deadline_of(grants, number)
    assert (state, due_on) == ("open", working_days_after(started_on, 5))  # the type's own clock, kept by the engine
    approvals.approve_case(number, approver=as_staff("CW2"), amount_fen=25000, reason="boiler replaced", engine=grants)
    assert deadline_of(grants, number)[0] == "met"
    assert case_flow(number) == "closed"
    case, actions = stored(grants, number)
    assert (case.approved_fen, case.paid_fen) == (25000, 25000)
    assert actions == ["submit", "start_check", "check_passed", "approve", "obligations_opened", "release_payout",
                       "payout_submitted", "payout_succeeded", "payout_succeeded", "close"]
    funds = {(row.programme, row.year): row for row in ledger.funds(grants)}[(PROGRAMME, factories.YEAR)]
    assert (funds.paid_fen, funds.reserved_fen, funds.remaining_fen) == (25000, 0, 500_000 - 25000)


def test_the_types_one_rule_rejects_a_grant_above_its_largest_amount(grants):
    number = apply("1000.01")
    case, actions = stored(grants, number)
    assert case.status == CaseStatus.rejected
    assert actions == ["submit", "start_check", "check_failed"]


def test_the_types_approval_policy_sends_a_larger_grant_to_a_district_approver(grants):
    number = apply("500")
    with pytest.raises(RuleViolation, match="this amount needs a district approver"):
        approvals.approve_case(number, approver=as_staff("CW2"), amount_fen=50000, reason="ok", engine=grants)
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=50000, reason="ok", engine=grants)
    assert case_flow(number) == "closed"


def test_no_engine_code_names_the_small_grant():
    code = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] in ENGINE]
    assert len(code) > 50
    naming = [str(p.relative_to(ROOT)) for p in code if NAMES.search(p.read_text(encoding="utf-8"))]
    assert naming == []
    assert SMALL_GRANT in CaseType.known() and CaseType("small_grant").prefix == "SG"


def test_a_registered_type_gets_its_intake_and_case_deployments_and_its_cli_form(registered):
    from typer.testing import CliRunner

    from unionaid_cli.main import app

    served = {(d.flow.name, d.name): d.tags for d in _case_type_deployments()}
    assert served[("small-grant-intake", "intake")] == ("small_grant", "intake")
    assert served[("case", "small_grant")] == ("small_grant",)
    shown = CliRunner().invoke(app, ["schema", "small_grant"])
    assert shown.exit_code == 0 and '"amount_yuan"' in shown.output and '"caseworker"' in shown.output


def test_a_type_whose_package_is_not_registered_has_no_deployments():
    assert SMALL_GRANT not in REGISTRY
    assert not [d for d in _case_type_deployments() if "small_grant" in d.tags]
    assert not [d for d in DEPLOYMENTS if "small_grant" in d.tags]


def test_the_command_line_takes_a_small_grant_from_a_file_through_the_types_own_form(grants, tmp_path):
    from typer.testing import CliRunner

    from unionaid_cli.main import app

    form = tmp_path / "grant.json"
    form.write_text('{"caseworker": "CW1", "applicant_member_number": "M0002", "amount_yuan": "120.50", '
                    '"reason": "school shoes"}', encoding="utf-8")
    taken = CliRunner().invoke(app, ["intake", "small_grant", str(form), "--no-process", "--as", "CW1",
                                     "--code", fresh_code(grants, "CW1")])
    assert taken.exit_code == 0, taken.output
    number = taken.output.split()[0]
    case, actions = stored(grants, number)
    assert (number[:3], case.requested_fen, case.status, actions) == ("SG-", 12050, CaseStatus.submitted, ["submit"])
