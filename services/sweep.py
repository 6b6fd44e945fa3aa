"""Nothing stalls: the cases whose next step is the system's and that nothing has carried on.

A case is carried on at once by its run: a submitted case is verified, an approved case paid, a
paid one closed. When no run did (the stack was down at intake or at the decision, a batch
intake could not start every run, a process was killed between the payout and the closing),
the case would wait forever. The sweep (``flows/sweep.py``, scheduled) finds
them by what the database says and starts a run of the case's own for each one no live run is
carrying on. Safe at any time: a run carries a case on from its stored status, and a payout is
sent once whatever runs it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, exists, select
from sqlmodel import col

from models.campaigns import CampaignCase
from models.cases import Case
from models.enums import CaseStatus
from models.payouts import Payout, PayoutStatus
from models.time import utcnow
from services.db import transaction

# Statuses in which the next step is the system's: verify (submitted, verifying), pay (approved),
# close (paid). A campaign verifies its own cases, in its own runs.
SYSTEM_NEXT = (CaseStatus.submitted, CaseStatus.verifying, CaseStatus.approved, CaseStatus.paid)
VERIFIED_BY_CAMPAIGNS = (CaseStatus.submitted, CaseStatus.verifying)


def stalled_cases(*, quiet_for: timedelta, engine: Engine | None = None) -> list[str]:
    """Case numbers waiting on the system that have not moved for ``quiet_for``, oldest first.
    Left out: an approved case whose payout the bank refused; it waits for a person, who checks
    the account and pays it again (``unionaid pay``)."""
    refused = exists().where(col(Payout.case_id) == Case.id, col(Payout.status) == PayoutStatus.failed)
    in_campaign = exists().where(col(CampaignCase.case_id) == Case.id)
    with transaction(engine) as session:
        return list(session.execute(
            select(col(Case.case_number)).where(col(Case.status).in_(SYSTEM_NEXT),
                                                col(Case.updated_at) <= utcnow() - quiet_for,
                                                ~((col(Case.status) == CaseStatus.approved) & refused),
                                                ~(col(Case.status).in_(VERIFIED_BY_CAMPAIGNS) & in_campaign))
            .order_by(col(Case.updated_at), col(Case.id))).scalars())
