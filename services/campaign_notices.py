"""Whether a case belongs to a campaign, and whether its campaign's public notice still holds it.

Read inside the approval's transaction (``services.approvals``) and by the campaign runs; this
module imports only the domain, so approvals and campaigns both use it without importing each
other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.campaigns import KIND_RULES, Campaign, CampaignCase
from models.cases import Case


def campaign_of(session: Session, case: Case) -> str | None:
    """The code of the campaign the case belongs to, if any."""
    return session.execute(select(col(Campaign.code)).join(CampaignCase, col(CampaignCase.campaign_id) == Campaign.id)
                           .where(col(CampaignCase.case_id) == case.id)).scalar_one_or_none()


def notice_hold(session: Session, case: Case) -> str | None:
    """Why a person may not approve this case yet, or None: a case of a campaign with a public
    notice is approved only after the notice has ended (rejecting it is always allowed).
    Meant for ``services.approvals.approve_case``, inside its transaction."""
    row = session.execute(select(Campaign, CampaignCase)
                          .join(CampaignCase, col(CampaignCase.campaign_id) == Campaign.id)
                          .where(col(CampaignCase.case_id) == case.id)).first()
    if row is None or not KIND_RULES[row[0].kind].public_notice:
        return None
    campaign, link = row
    if not link.listed_in_notice or link.notice_ends_on is None:
        return (f"case {case.case_number} is in campaign {campaign.code}: it is approved after it has been on a "
                "public notice")
    if not link.notice_ended:
        return (f"case {case.case_number} is in the public notice of campaign {campaign.code} until "
                f"{link.notice_ends_on.isoformat()}: approve it once the notice has ended")
    return None
