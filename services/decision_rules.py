"""Hardship rules that must still hold when a case is approved, not only when it was verified.

Verification checks no double aid and the caps against the aid granted *so far*; cases of one
household verified side by side all pass it, and approving each of them would give the
household the same aid twice. So approval checks them again, with the amount being approved
and every grant made since, under a lock on the household (the applicant's member row when
there is no household file): two approvals for one household queue on that lock, and the
second sees the first. SQLite takes its write lock at the start of every transaction
(``services.db``), which serialises them there.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases import Case, HardshipDetail
from models.errors import RuleViolation
from models.hardship_rules import (
    Application,
    RuleResult,
    check_category_cap,
    check_household_yearly_cap,
    check_no_double_aid,
)
from models.members import Household, Member
from services import households
from services.verification import _inputs, _prior_aid, policy_version_for


def _lock_household(session: Session, case: Case, detail: HardshipDetail) -> None:
    if detail.household_id is not None:
        session.execute(select(col(Household.id)).where(col(Household.id) == detail.household_id).with_for_update())
    else:
        session.execute(select(col(Member.id)).where(col(Member.id) == case.applicant_member_id).with_for_update())


def _applied_on(case: Case, detail: HardshipDetail) -> date:
    applied = detail.facts.get("applied_on")
    return date.fromisoformat(applied) if applied else case.submitted_at.date()


def hardship_decision_refusal(session: Session, case: Case, amount_fen: int) -> str | None:
    """Why ``amount_fen`` may not be approved for this hardship case now (the first rule that
    fails, named), or None. Locks the household until the approval's transaction ends."""
    detail = session.execute(select(HardshipDetail).where(col(HardshipDetail.case_id) == case.id)).scalar_one_or_none()
    if detail is None:
        return None  # a case without a hardship file (made by an older version): verification refused it already
    _lock_household(session, case, detail)
    version = policy_version_for(session, case)
    if version is None:
        return None
    prior = _prior_aid(session, case, detail)
    application = Application(category=case.category, tier_claimed=detail.tier_claimed,  # type: ignore[arg-type]
                              requested_fen=amount_fen, applied_on=_applied_on(case, detail))
    results: list[RuleResult] = [check_no_double_aid(application, prior),
                                 check_household_yearly_cap(application, prior, version)]
    try:  # the category cap (a fixed amount: exactly it) needs the whole application; a seasonal case has fewer facts
        household, full = _inputs(case, detail, households.registered_on(session, detail.household_id), version)
        results.append(check_category_cap(household, replace(full, requested_fen=amount_fen), version))
    except RuleViolation:
        pass
    failed = next((result for result in results if not result.passed), None)
    if failed is None:
        return None
    return f"case {case.case_number} may not be approved now: {failed.rule}: {failed.reason}"
