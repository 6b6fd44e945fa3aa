"""Campaign tasks: thin calls into ``services.campaigns``, passing a campaign code and case
numbers (or household ids), never personal data. Every one is safe to retry: the service skips
what the database says is done."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.enums import CaseStatus
from models.identity import StaffClaim, Verified
from services import auth, campaigns, providers, seasonal
from tasks.retry import retry_on_transient


@task(name="campaign-status", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def campaign_status_task(code: str) -> campaigns.CampaignView:
    return campaigns.campaign_view(code)


@task(name="campaign-cases", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def campaign_cases_task(code: str, statuses: tuple[CaseStatus, ...] | None = None,
                        batch_only: bool = False) -> list[str]:
    return campaigns.case_numbers(code, statuses, batch_only=batch_only)


@task(name="verify-chunk", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[5, 30, 120],
      retry_condition_fn=retry_on_transient)
def verify_chunk_task(numbers: list[str]) -> dict[str, int]:
    """The registry over HTTP for each case; an unreachable registry retries the chunk, and the
    retry skips the cases verified the first time."""
    registry = providers.registry()
    try:
        return campaigns.verify_cases(numbers, registry)
    finally:
        registry.close()


@task(name="open-notice", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def open_notice_task(code: str, today: date | None) -> campaigns.CampaignView:
    return campaigns.open_notice(code, today=today)


@task(name="close-notice", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def close_notice_task(code: str, today: date | None) -> bool:
    return campaigns.close_notice(code, today=today)


@task(name="supplementary-notice", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def supplementary_notice_task(code: str, today: date | None) -> dict[str, int]:
    return campaigns.supplementary_notice(code, today=today)


@task(name="approve-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_on_transient)
def approve_chunk_task(code: str, numbers: list[str], approver: Verified) -> dict[str, int]:
    return campaigns.approve_cases(code, numbers, approver=approver)


@task(name="batch-readiness", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def batch_readiness_task(code: str, numbers: list[str]) -> dict[str, int]:
    return campaigns.batch_readiness(code, numbers)


@task(name="prove-staff", cache_policy=NO_CACHE)
def prove_staff_task(claim: StaffClaim) -> Verified:
    """The staff member the code proves, for a batch acting as them (the code is used here, once;
    never retried: a second try would be a reuse)."""
    who = auth.proven(claim)
    assert isinstance(who, Verified)  # a claim is always a person's
    return who


@task(name="finish-approval", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def finish_approval_task(code: str) -> bool:
    return campaigns.finish_approval(code)


@task(name="pay-chunk", cache_policy=NO_CACHE, retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=retry_on_transient)
def pay_chunk_task(numbers: list[str]) -> dict[str, int]:
    """Prepare-or-find then send, per case: a retry re-sends the same references, never a second transfer."""
    provider = providers.payment()
    try:
        return campaigns.pay_cases(numbers, provider)
    finally:
        provider.close()


@task(name="finish-campaign", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def finish_campaign_task(code: str) -> campaigns.CampaignView:
    campaigns.settle_objections(code)
    return campaigns.finish_if_done(code)


@task(name="open-seasonal-campaign", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def open_seasonal_task(kind: str, year: int, caseworker: str, approver: str,
                       today: date | None) -> campaigns.CampaignView:
    return seasonal.open_seasonal_campaign(kind, year, caseworker=caseworker, approver=approver, today=today)


@task(name="plan-seasonal", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def plan_seasonal_task(code: str) -> seasonal.SeasonalPlan:
    """Who is still to be included and what it costs; refused whole when the budget is short."""
    plan = seasonal.plan_seasonal(code)
    seasonal.check_budget(plan)
    return plan


@task(name="create-seasonal-chunk", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=retry_on_transient)
def create_seasonal_chunk_task(code: str, household_ids: list[int], submitted_by: Verified) -> dict[str, int]:
    return seasonal.create_seasonal_cases(code, household_ids, submitted_by=submitted_by)


@task(name="cases-ready", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
      retry_condition_fn=retry_on_transient)
def cases_ready_task(code: str) -> bool:
    return campaigns.mark_cases_ready(code)
