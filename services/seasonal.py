"""Seasonal relief (冬送温暖 / 夏送清凉): every household in the hardship register, the policy's
fixed amount for its tier, approved and paid as one batch without a public notice.

``open_seasonal_campaign`` → ``plan_seasonal`` (who is included and why others are left out)
→ ``check_budget`` (the total against the programme's remaining budget, before anything is
created) → ``create_seasonal_cases`` (one case per household, through its 'self' member; the
register is the verification, recorded as a report under the policy version used) → then
``services.campaigns`` approves and pays them as for any campaign. Every step does only what is
still undone, so any of them may run again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from models.campaigns import KIND_RULES, Campaign, CampaignCase, CampaignKind, CampaignStatus
from models.cases import Case, HardshipDetail, VerificationRecord
from models.enums import CaseStatus, CaseType, MembershipStatus
from models.errors import InputError, NotAuthenticated, RuleViolation
from models.hardship import GRANTED_STATUSES, PROGRAMME_BY_CATEGORY
from models.identity import Verified
from models.members import Household, HouseholdMember, Member
from models.money import format_fen
from models.policy import HardshipPolicy, Tier, TierAmounts
from services import ledger, pii
from services.campaigns import (
    CampaignView,
    attach_case,
    create_campaign,
    find_campaign,
    programme_of,
    unattached_case,
)
from services.cases import apply_transition, load_case, open_case
from services.db import transaction

C = CaseStatus


class CampaignBudgetShort(ledger.BudgetExceeded):
    """Keeps the yearly budget for a whole campaign: nothing is created when the programme cannot
    pay every household the campaign would include."""

    def __init__(self, programme: str, year: int, remaining_fen: int, needed_fen: int, households: int) -> None:
        RuleViolation.__init__(self, f"budget of {programme} {year} too small for this campaign: {format_fen(needed_fen)} "
                                     f"needed for {households} household(s), {format_fen(remaining_fen)} remaining; "
                                     "raise the budget or wait for funds, then run the campaign again")
        self.remaining_fen, self.needed_fen = remaining_fen, needed_fen



def open_seasonal_campaign(kind: CampaignKind | str, year: int, *, caseworker: str, approver: str,
                           today: date | None = None, engine: Engine | None = None) -> CampaignView:
    kind = CampaignKind(kind)
    if not KIND_RULES[kind].from_registered_households:
        raise InputError("kind", "must be winter_relief or summer_relief")
    return create_campaign(kind, year, caseworker=caseworker, approver=approver, opened_on=today, engine=engine)


@dataclass(frozen=True)
class SeasonalPlan:
    """Who a seasonal campaign still has to include, and what it costs; ids only, no names."""

    code: str
    programme: str
    year: int
    policy_version: str
    household_ids: tuple[int, ...]  # households still without a case in the campaign
    by_tier: dict[str, tuple[int, int]]  # tier → (households to add, fen each)
    needed_fen: int  # to add them, plus cases created but not approved yet
    remaining_fen: int  # the programme's available budget now
    skipped: dict[str, int]  # why registered households are left out → how many


def _tier_amounts(policy: HardshipPolicy, campaign: Campaign) -> tuple[str, TierAmounts]:
    version = policy.version_on(campaign.opened_on)
    amounts: TierAmounts = getattr(version.categories, campaign.kind.value)
    return version.version, amounts


def plan_seasonal(code: str, *, policy: HardshipPolicy | None = None, engine: Engine | None = None) -> SeasonalPlan:
    """Every household with a registered hardship tier, through its 'self' member, at the
    policy's fixed amount for its tier (the version in force on the day the campaign opened)."""
    from services.verification import current_policy

    policy = policy or current_policy()
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        if not KIND_RULES[campaign.kind].from_registered_households:
            raise RuleViolation(f"campaign {campaign.code} takes applications, not the household register")
        version_id, amounts = _tier_amounts(policy, campaign)
        programme = programme_of(session, campaign)
        accounts = ledger.accounts_for(programme)
        attached = set(session.execute(select(col(CampaignCase.household_id)).where(
            col(CampaignCase.campaign_id) == campaign.id)).scalars())
        aided = set(session.execute(
            select(col(HardshipDetail.household_id)).join(Case, col(Case.id) == HardshipDetail.case_id)
            .where(col(Case.category) == campaign.kind.value, col(Case.programme_id) == programme.id,
                   col(Case.status).in_(GRANTED_STATUSES),
                   ~exists().where(col(CampaignCase.case_id) == Case.id,
                                   col(CampaignCase.campaign_id) == campaign.id))).scalars())
        rows = session.execute(
            select(col(Household.id), col(Household.hardship_tier), col(Member.status), col(Member.bank_account_enc))
            .outerjoin(HouseholdMember, and_(col(HouseholdMember.household_id) == Household.id,
                                             col(HouseholdMember.relation) == "self",
                                             col(HouseholdMember.member_id).is_not(None)))
            .outerjoin(Member, col(Member.id) == HouseholdMember.member_id)
            .where(col(Household.hardship_tier).is_not(None)).order_by(col(Household.id))).all()
        unapproved = session.execute(
            select(func.coalesce(func.sum(Case.requested_fen), 0))
            .join(CampaignCase, col(CampaignCase.case_id) == Case.id)
            .where(col(CampaignCase.campaign_id) == campaign.id,
                   col(Case.status).in_((C.submitted, C.verifying, C.awaiting_approval)))).scalar_one()
        remaining = ledger.balance(session, accounts.available)
    skipped: Counter[str] = Counter()
    to_add: list[int] = []
    by_tier: dict[str, list[int]] = {}
    seen: set[int] = set()
    for household_id, tier, member_status, account in rows:
        if household_id in seen:
            continue  # two 'self' members in one household: the first one counts
        seen.add(household_id)
        if household_id in attached:
            continue
        reason = _left_out_because(tier, member_status, account, household_id in aided, campaign.kind.value)
        if reason:
            skipped[reason] += 1
            continue
        to_add.append(household_id)
        amount = amounts.for_tier(Tier(tier))
        by_tier.setdefault(tier, [0, amount])[0] += 1
    needed = int(unapproved) + sum(count * amount for count, amount in by_tier.values())
    return SeasonalPlan(campaign.code, programme.code, programme.year, version_id, tuple(to_add),
                        {tier: (count, amount) for tier, (count, amount) in sorted(by_tier.items())},
                        needed, remaining, dict(skipped))


def _left_out_because(tier: str | None, member_status: Any, account: str | None, aided: bool, kind: str) -> str | None:
    if tier not in {t.value for t in Tier}:
        return "registered tier unknown to the policy"
    if member_status is None:
        return "no union member registered as 'self' of the household"
    if MembershipStatus(member_status) != MembershipStatus.active:
        return "the household's member is not active"
    if not account:
        return "no bank account on file"
    if aided:
        return f"already received {kind} this year"
    return None


def check_budget(plan: SeasonalPlan) -> None:
    """Refuse the whole campaign, before anything is created, when the budget cannot pay it."""
    if plan.needed_fen > plan.remaining_fen:
        households = sum(count for count, _ in plan.by_tier.values())
        raise CampaignBudgetShort(plan.programme, plan.year, plan.remaining_fen, plan.needed_fen, households)


def create_seasonal_cases(code: str, household_ids: list[int], *, submitted_by: Verified,
                          policy: HardshipPolicy | None = None, engine: Engine | None = None) -> dict[str, int]:
    """One case per household, for its 'self' member, at the fixed amount for its tier, submitted
    by the campaign's caseworker, proved; the register is the verification, recorded as a report
    under the policy version used."""
    if not isinstance(submitted_by, Verified):
        raise NotAuthenticated(f"campaign {code}: its cases are submitted by a caseworker who proves who they are")
    from services.verification import current_policy

    policy = policy or current_policy()
    counts: Counter[str] = Counter()
    for household_id in household_ids:
        counts[_create_seasonal_case(code, household_id, policy, submitted_by, engine)] += 1
    return dict(counts)


def _create_seasonal_case(code: str, household_id: int, policy: HardshipPolicy, submitted_by: Verified,
                          engine: Engine | None) -> str:
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        if campaign.status != CampaignStatus.open:
            return f"campaign {campaign.status.value}"
        if session.execute(select(col(CampaignCase.id)).where(col(CampaignCase.campaign_id) == campaign.id,
                                                              col(CampaignCase.household_id) == household_id)).first():
            return "created earlier"
        household = session.get(Household, household_id)
        member = session.execute(select(Member).join(HouseholdMember, col(HouseholdMember.member_id) == Member.id)
                                 .where(col(HouseholdMember.household_id) == household_id,
                                        col(HouseholdMember.relation) == "self")
                                 .order_by(col(HouseholdMember.id))).scalars().first()
        if household is None or member is None or household.hardship_tier not in {t.value for t in Tier}:
            return "not in the register any more"
        tier = Tier(household.hardship_tier)
        version_id, amounts = _tier_amounts(policy, campaign)
        amount = amounts.for_tier(tier)
        orphan = unattached_case(session, campaign, member.id, {"campaign": campaign.code})
        number = orphan.case_number if orphan else None
        if submitted_by.staff_number != campaign.caseworker:
            raise RuleViolation(f"campaign {code} is {campaign.caseworker}'s: its cases are submitted by them")
        member_number, opened_on, year = member.member_number, campaign.opened_on, campaign.year
    if number is None:
        facts: dict[str, Any] = {
            "applied_on": opened_on.isoformat(), "category": campaign.kind.value, "campaign": code,
            "registered_hardship_file": True, "household_monthly_incomes_fen": [], "documents": []}
        number = open_case(case_type=CaseType.hardship, category=campaign.kind.value,
                           applicant_member_number=member_number, requested_fen=amount, submitted_by=submitted_by,
                           programme_code=PROGRAMME_BY_CATEGORY[campaign.kind.category], local_year=year,
                           reason=f"campaign {code}: registered {tier.value} household", engine=engine,
                           # case_id is set by open_case once the case row exists (see services/intake.py).
                           details=HardshipDetail(  # type: ignore[call-arg]
                               household_id=household_id, tier_claimed=tier.value, reason=pii.seal_text(f"campaign {code}"),
                               facts=facts)).case_number
    try:
        with transaction(engine) as session:
            campaign = find_campaign(session, code)
            case = load_case(session, number)
            attach_case(session, campaign, case, household_id, "system")
            results = [{"rule": "registered_hardship_household", "passed": True,
                        "reason": f"the household is registered in the {tier.value} tier"},
                       {"rule": "category_cap", "passed": True,
                        "reason": f"the fixed {campaign.kind.value} amount for the {tier.value} tier is {format_fen(amount)}"}]
            fingerprint = policy.version(version_id).fingerprint()
            session.add(VerificationRecord(case_id=case.id, policy_version=version_id,  # type: ignore[arg-type]
                                           policy_fingerprint=fingerprint, passed=True, results=results,
                                           missing_documents=[]))
            apply_transition(session, case, C.verifying, actor="system", reason=f"campaign {code}")
            apply_transition(session, case, C.awaiting_approval, actor="system",
                             reason=f"registered {tier.value} hardship household", payload={"policy_version": version_id})
    except IntegrityError:
        return "created by another run"
    return "created"
