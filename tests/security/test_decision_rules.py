"""Rules that hold at decision time: a household verified for the same aid several times over,
before any of it was approved, still gets it once; two approvers deciding at the same moment
cannot both give it."""

from __future__ import annotations

import threading

import pytest

from models.enums import CaseStatus
from models.errors import RuleViolation
from services import approvals
from services.case_queries import case_detail
from tests.factories import as_staff
from tests.integration.test_verification_inputs import form_fen, of, verified, world  # noqa: F401 - the fixture


def _status(engine, number) -> CaseStatus:
    return case_detail(number, engine=engine).case.status


def _waiting(engine, *forms) -> list[str]:
    numbers = []
    for form in forms:
        number, status = verified(engine, form)
        assert status == CaseStatus.awaiting_approval  # nothing granted yet: verification passes each
        numbers.append(number)
    return numbers


def test_two_living_reliefs_for_one_household_verified_before_any_approval_are_approved_once(world):
    numbers = _waiting(world, of(1), of(2))  # household H001, twice
    approvals.approve_case(numbers[0], approver=as_staff("AP1"), amount_fen=form_fen(of(1)), reason="ok", engine=world)
    for number in numbers[1:]:
        with pytest.raises(RuleViolation) as refused:
            approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=form_fen(of(1)), reason="ok",
                                   engine=world)
        assert str(refused.value).startswith(f"case {number} may not be approved now: no_double_aid: "
                                             "the household already received living_relief in 2026")
        assert _status(world, number) == CaseStatus.awaiting_approval  # for a person to reject
    assert _status(world, numbers[0]) == CaseStatus.approved


def test_two_approvals_for_one_household_at_the_same_moment_give_the_aid_once(world):
    numbers = _waiting(world, of(1), of(2))
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def approve(number: str) -> None:
        start.wait()
        try:
            approvals.approve_case(number, approver=as_staff("AP1"), amount_fen=form_fen(of(1)), reason="ok",
                                   engine=world)
            outcomes[number] = "approved"
        except RuleViolation as exc:
            outcomes[number] = str(exc).split(": ")[1]

    threads = [threading.Thread(target=approve, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes.values()) == ["approved", "no_double_aid"]
    assert sorted(_status(world, n) for n in numbers) == sorted([CaseStatus.approved, CaseStatus.awaiting_approval])


@pytest.fixture
def capped_policy(tmp_path, monkeypatch):
    """The policy in force (verification's and approval's) with a household yearly cap of ¥4,000."""
    from models.policy import load_policy
    from services.settings import get_settings

    sample = get_settings().policy_file.read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(sample.replace("yearly_cap_yuan = 20000", "yearly_cap_yuan = 4000"), encoding="utf-8")
    monkeypatch.setenv("UNIONAID_POLICY_FILE", str(path))
    get_settings.cache_clear()
    yield load_policy(path)
    get_settings.cache_clear()


def test_the_yearly_cap_counts_an_approval_made_after_verification(world, capped_policy):
    from tests.integration.test_verification_inputs import MEDICAL_DOCS

    policy = capped_policy
    living, _ = verified(world, of(1, requested_amount_yuan="3000"), policy)
    medical, _ = verified(world, of(2, category="medical_relief", requested_amount_yuan="2500",
                                    applied_on="2026-06-01", documents_provided=MEDICAL_DOCS), policy)
    assert {_status(world, living), _status(world, medical)} == {CaseStatus.awaiting_approval}
    approvals.approve_case(living, approver=as_staff("AP1"), amount_fen=300000, reason="ok", engine=world)
    with pytest.raises(RuleViolation, match="household_yearly_cap"):
        approvals.approve_case(medical, approver=as_staff("AP1"), amount_fen=250000, reason="ok", engine=world)
