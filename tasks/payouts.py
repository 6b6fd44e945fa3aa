"""Payout tasks: idempotent against our database, so Prefect retries are always safe."""

from __future__ import annotations

from prefect import task
from sqlalchemy import select
from sqlmodel import col

from models.cases import Case, Programme
from models.enums import CaseStatus
from models.payouts import PayoutStatus
from services import payment_provider, payouts, providers
from services.db import transaction
from tasks.retry import retry_on_transient


def _provider() -> payment_provider.HttpPaymentProvider:
    return providers.payment()


@task(name="pay-case", retries=3, retry_delay_seconds=[2, 10, 30], retry_condition_fn=retry_on_transient)
def pay_case_task(case_number: str) -> list[payouts.PayoutView]:
    """Prepare-or-find then send, for each payment the case owes. A retry re-sends the same
    references: never a second transfer."""
    provider = _provider()
    try:
        return payouts.pay_case(case_number, provider)
    finally:
        provider.close()


@task(name="resolve-payout", retries=2, retry_delay_seconds=5, retry_condition_fn=retry_on_transient)
def resolve_payout_task(payout_id: int) -> PayoutStatus:
    provider = _provider()
    try:
        return payouts.resolve_payout(payout_id, provider)
    finally:
        provider.close()


@task(name="open-payouts", retries=3, retry_delay_seconds=2, retry_condition_fn=retry_on_transient)
def open_payouts_task(case_number: str) -> list[int]:
    """The case's payouts still on their way (prepared, submitted, unknown)."""
    return payouts.open_payouts_of(case_number)


@task(name="list-open-payouts")
def list_open_payouts(older_than_seconds: int) -> list[int]:
    from datetime import timedelta

    return payouts.open_payout_ids(older_than=timedelta(seconds=older_than_seconds))


@task(name="list-approved-cases")
def list_approved_cases(programme_code: str | None, limit: int) -> list[str]:
    with transaction() as session:
        query = (select(col(Case.case_number)).where(col(Case.status) == CaseStatus.approved)
                 .order_by(col(Case.id)).limit(limit))
        if programme_code:
            query = (query.join(Programme, col(Programme.id) == Case.programme_id)
                     .where(col(Programme.code) == programme_code))
        return list(session.execute(query).scalars())
