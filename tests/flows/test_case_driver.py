"""The one driver runs, for each stored status, the step its type's spec names, and goes on from
the status the step reports, until a step says the case waits or a status has no step. Shown
with a spec written here, so no engine code knows it."""

from dataclasses import replace

import pytest
from prefect import flow

from casetypes import spec_for
from casetypes.driver import MAX_STEPS, drive
from casetypes.spec import Progress
from models.enums import CaseStatus, CaseType
from tasks.cases import CaseLabel
from tests.factories import as_staff

S = CaseStatus


def label(status: S) -> CaseLabel:
    return CaseLabel("HA-2026-999999", "hardship", "G001", status.value, 1)


class Steps:
    """Steps that only record that they ran, and report the next status."""

    def __init__(self):
        self.ran = []

    def to(self, status: S, waits: bool = False):
        def step(case_number, current):
            self.ran.append((case_number, current))
            return Progress(status, waits)
        return step


@flow(name="driver-under-test")
def run(spec, status: S) -> str:
    return drive(label(status), spec)


def spec_with(steps):
    return replace(spec_for(CaseType.hardship), steps=steps)


def test_each_stored_status_runs_the_step_the_spec_names_until_the_case_waits(prefect_server):
    steps = Steps()
    spec = spec_with({S.submitted: steps.to(S.verifying), S.verifying: steps.to(S.awaiting_approval),
                      S.awaiting_approval: steps.to(S.awaiting_approval, waits=True),
                      S.approved: steps.to(S.paid)})
    assert run(spec, S.submitted) == "awaiting_approval"
    assert steps.ran == [("HA-2026-999999", S.submitted), ("HA-2026-999999", S.verifying),
                         ("HA-2026-999999", S.awaiting_approval)]


def test_a_status_without_a_step_is_where_the_case_rests(prefect_server):
    steps = Steps()
    spec = spec_with({S.approved: steps.to(S.paid)})
    assert run(spec, S.approved) == "paid"
    assert run(spec, S.rejected) == "rejected"
    assert steps.ran == [("HA-2026-999999", S.approved)]


def test_a_spec_whose_steps_go_round_in_a_circle_stops_after_the_step_limit(prefect_server):
    steps = Steps()
    spec = spec_with({S.verifying: steps.to(S.needs_information), S.needs_information: steps.to(S.verifying)})
    assert run(spec, S.verifying) in ("verifying", "needs_information")
    assert len(steps.ran) == MAX_STEPS


def test_a_type_no_package_registers_is_refused_by_name():
    from models.errors import NotFound

    case_type = CaseType.register("unrun_type", "UR")  # a name known, with no package that runs it
    with pytest.raises(NotFound, match=f"case type {case_type.value} is not run by this installation yet"):
        spec_for(case_type)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_decision_applied_again_after_the_case_moved_on_changes_nothing_and_is_not_called_refused(services_up,
                                                                                                   decision):
    from sqlalchemy import select

    from casetypes.hardship.decision import ApprovalDecision, decide_task
    from models.audit import AuditEvent
    from services import approvals
    from services.case_queries import case_detail
    from services.db import transaction
    from tests import factories

    case = factories.awaiting_approval(services_up)
    read_version = case_detail(case.case_number, engine=services_up).case.version
    approvals.approve_case(case.case_number, approver=as_staff("AP1"), amount_fen=150000, reason="eligible", engine=services_up)

    @flow(name="decision-under-test")
    def apply_again() -> None:
        decide_task(case.case_number, ApprovalDecision(decision=decision, approver="AP1", approved_amount_yuan="1500",
                                                       one_time_code=factories.fresh_code(services_up, "AP1"),
                                                       reason="second thoughts"), read_version)

    apply_again()
    detail = case_detail(case.case_number, engine=services_up)
    assert detail.case.status == CaseStatus.approved and detail.case.approved_fen == 150000
    with transaction(services_up) as s:
        actions = list(s.execute(select(AuditEvent.action).where(AuditEvent.case_number == case.case_number)).scalars())
    assert "decision_refused" not in actions and actions[-2:] == ["approve", "obligations_opened"]
