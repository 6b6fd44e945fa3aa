"""Public notices (公示): whether a case belongs to a campaign, whether a notice still holds it,
a case's own notice when it came in outside a campaign, and the objections to it.

A campaign's cases are listed in the campaign's notice (``services.campaigns``). Any other case
of a category the policy puts on notice gets a notice of its own when verification passes
(``open_case_notice``, in verification's transaction). ``notice_hold`` is the guard of the
approval move for both. Read inside the approval's transaction (``services.approvals``) and by
the campaign runs; this module imports neither, so both use it without importing each other.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models.campaigns import KIND_RULES, Campaign, CampaignCase
from models.cases import Case
from models.enums import CaseStatus, Role
from models.errors import InputError, NotFound, RuleViolation, shown_code
from models.identity import Actor
from models.notices import CaseNotice, notice_refusal, objection_refusal
from models.policy import PolicyVersion
from models.time import utcnow
from models.working_days import first_working_day, notice_end
from services import auth, pii
from services.audit import append_event
from services.db import transaction
from services.settings import get_settings

OBJECTION_ROLES = frozenset({Role.caseworker, Role.supervisor})  # who writes down an objection made to them


def today() -> date:
    return utcnow().astimezone(get_settings().zone).date()


def campaign_of(session: Session, case: Case) -> str | None:
    """The code of the campaign the case belongs to, if any."""
    return session.execute(select(col(Campaign.code)).join(CampaignCase, col(CampaignCase.campaign_id) == Campaign.id)
                           .where(col(CampaignCase.case_id) == case.id)).scalar_one_or_none()


def notice_hold(session: Session, case: Case) -> str | None:
    """Why a person may not approve this case yet, or None: a case of a campaign with a public
    notice, or a case with a notice of its own, is approved only after the notice has ended
    (rejecting it is always allowed).
    Meant for ``services.approvals.approve_case``, inside its transaction."""
    row = session.execute(select(Campaign, CampaignCase)
                          .join(CampaignCase, col(CampaignCase.campaign_id) == Campaign.id)
                          .where(col(CampaignCase.case_id) == case.id)).first()
    if row is None:
        notice = session.get(CaseNotice, case.id)
        return notice_refusal(case.case_number, notice, today()) if notice is not None else None
    if not KIND_RULES[row[0].kind].public_notice:
        return None
    campaign, link = row
    if not link.listed_in_notice or link.notice_ends_on is None:
        return (f"case {case.case_number} is in campaign {campaign.code}: it is approved after it has been on a "
                "public notice")
    if not link.notice_ended:
        return (f"case {case.case_number} is in the public notice of campaign {campaign.code} until "
                f"{link.notice_ends_on.isoformat()}: approve it once the notice has ended")
    return None


def open_case_notice(session: Session, case: Case, version: PolicyVersion) -> CaseNotice | None:
    """The case's own notice, opened now when its category goes on notice under ``version`` and it
    is in no campaign (a campaign lists it in its own); None when it needs none. It starts on the
    first working day from today and lasts the version's working days; opened once, with its
    audit event, inside the caller's transaction (verification's move to awaiting approval)."""
    if not version.public_notice.needed_for(case.category) or campaign_of(session, case) is not None:
        return None
    existing = session.get(CaseNotice, case.id)
    if existing is not None:
        return existing
    days = version.public_notice.working_days
    starts = first_working_day(today())
    notice = CaseNotice(case_id=case.id, starts_on=starts, ends_on=notice_end(starts, days),  # type: ignore[arg-type]
                        working_days=days, policy_version=version.version, opened_at=utcnow())
    session.add(notice)
    append_event(session, actor="system", action="public_notice_opened", case_id=case.id,
                 case_number=case.case_number,
                 reason=f"public notice {starts.isoformat()} to {notice.ends_on.isoformat()} ({days} working days)",
                 payload={"starts_on": starts.isoformat(), "ends_on": notice.ends_on.isoformat(), "working_days": days,
                          "policy_version": version.version})
    return notice


def case_notice(session: Session, case: Case) -> CaseNotice | None:
    return session.get(CaseNotice, case.id)


def record_case_objection(case_number: str, *, text: str, recorded_by: Actor, engine: Engine | None = None) -> CaseNotice:
    """Write down an objection made to the case's own notice while it runs: stored encrypted (it
    may name people and their health), counted, audited without its words. The approver sees
    that there are objections and reads them with ``unionaid cases text``."""
    cleaned = (text or "").strip()
    if len(cleaned) < 2 or len(cleaned) > 2000:
        raise InputError("text", "say what the objection is (2 to 2,000 characters)")
    with transaction(engine) as session:
        _, who = auth.require_role(session, recorded_by, OBJECTION_ROLES, "recording an objection")
        case = session.execute(select(Case).where(col(Case.case_number) == case_number)).scalar_one_or_none()
        if case is None:
            raise NotFound(f"case {shown_code(case_number)} does not exist")
        if campaign_of(session, case) is not None:
            raise RuleViolation(f"case {case_number} is in a campaign: record the objection with "
                                "`unionaid campaigns object`")
        notice = session.get(CaseNotice, case.id)
        if notice is None:
            raise RuleViolation(f"case {case_number} is not on public notice")
        if case.status != CaseStatus.awaiting_approval:
            raise RuleViolation(f"case {case_number} is {case.status.value}: objections are recorded before the "
                                "decision")
        why = objection_refusal(case_number, notice, today())
        if why:
            raise RuleViolation(why)
        earlier = pii.open_text(notice.objection_text)
        notice.objection_text = pii.seal_text(f"{earlier}\n---\n{cleaned}" if earlier else cleaned)
        notice.objections += 1
        session.add(notice)
        append_event(session, actor=who, action="objection_recorded", case_id=case.id, case_number=case_number,
                     from_status=case.status.value, to_status=case.status.value,
                     reason="an objection to the public notice", payload={"objections": notice.objections})
        return notice
