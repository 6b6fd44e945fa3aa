"""Payouts as finance reads them: newest first, each with its case number and only the masked account.

The encrypted account and the payee never leave this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import col

from models.cases import Case
from models.payouts import Payout, PayoutStatus
from services.db import transaction


@dataclass(frozen=True)
class PayoutLine:
    """One payout as a list shows it; ``updated_at`` as stored (UTC)."""

    reference: str
    case_number: str
    status: PayoutStatus
    amount_fen: int
    account_masked: str
    provider_id: str | None
    failure_reason: str | None
    updated_at: datetime


def list_payouts(status: PayoutStatus | None = None, *, limit: int = 200, engine: Engine | None = None) -> list[PayoutLine]:
    """The newest payouts (by id), only those in ``status`` when given."""
    query = (select(Payout, Case).join(Case, col(Case.id) == Payout.case_id)
             .order_by(col(Payout.id).desc()).limit(limit))
    if status:
        query = query.where(col(Payout.status) == status)
    with transaction(engine) as session:
        return [PayoutLine(p.reference, c.case_number, p.status, p.amount_fen, p.bank_account_masked, p.provider_id,
                           p.failure_reason, p.updated_at) for p, c in session.execute(query).all()]
