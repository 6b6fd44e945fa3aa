"""Rights as data: what the system found or was told is never typed in by hand, and no move by
hand strands money. Tried as a caseworker or a finance officer who knows the by-hand form."""

from __future__ import annotations

import pytest

from models.enums import CaseStatus
from models.errors import GuardRefused, SystemOnly
from models.transitions import BY_TYPE
from services import approvals, payouts
from services.case_queries import case_detail
from services.cases import transition_case
from tests import factories
from tests.factories import as_staff


@pytest.fixture
def world(engine, tmp_path):
    factories.world(engine, tmp_path)
    return engine


def status(engine, number):
    return case_detail(number, engine=engine).case.status


def test_a_caseworker_cannot_pass_verification_by_hand(world):
    number = factories.hardship_case(world, requested_fen=100_000_000).case_number  # ¥1,000,000
    transition_case(number, CaseStatus.verifying, actor=as_staff("CW1"), reason="start", engine=world)
    with pytest.raises(SystemOnly, match="'verification_passed' is made by the system only"):
        transition_case(number, CaseStatus.awaiting_approval, actor=as_staff("CW1"), reason="looks fine", engine=world)
    assert status(world, number) == CaseStatus.verifying


@pytest.mark.parametrize("to", [CaseStatus.paid, CaseStatus.approved])
def test_finance_cannot_settle_or_undo_a_payout_by_hand(world, to):
    number = factories.awaiting_approval(world).case_number
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=world)
    payouts.prepare_payouts(number, engine=world)
    assert status(world, number) == CaseStatus.payout_pending
    with pytest.raises(SystemOnly):
        transition_case(number, to, actor=as_staff("FI1"), reason="by hand", engine=world)
    assert status(world, number) == CaseStatus.payout_pending
    assert case_detail(number, engine=world).case.paid_fen == 0


def test_no_one_releases_a_payout_by_hand(world):
    number = factories.awaiting_approval(world).case_number
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=world)
    with pytest.raises(SystemOnly):
        transition_case(number, CaseStatus.payout_pending, actor=as_staff("FI1"), reason="by hand", engine=world)


def test_a_case_with_a_payout_on_its_way_cannot_be_withdrawn(world):
    number = factories.awaiting_approval(world).case_number
    approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=150000, reason="ok", engine=world)
    [view] = payouts.prepare_payouts(number, engine=world)
    # The case back at approved while its payout is still on its way (a row moved behind the
    # protocol's back): withdrawing it would give the budget back with the money still going out.
    transition_case(number, CaseStatus.approved, actor="system", reason="moved back", engine=world)
    with pytest.raises(GuardRefused, match=f"payout {view.reference} on its way"):
        transition_case(number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="withdrawn", engine=world)
    assert status(world, number) == CaseStatus.approved


def test_every_move_no_person_may_make_is_made_by_the_system_and_names_no_role():
    for case_type, rows in BY_TYPE.items():
        for row in rows:
            if not row.roles:
                assert row.system, (case_type, row.action)
    system_only = {row.action for rows in BY_TYPE.values() for row in rows if not row.roles}
    assert {"verification_passed", "release_payout", "payout_succeeded", "payout_failed",
            "mediation_deadline_passed"} <= system_only
