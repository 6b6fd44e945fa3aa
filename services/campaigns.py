"""Campaigns: student aid (金秋助学) and seasonal relief (冬送温暖 / 夏送清凉) as batches.

Every step reads the campaign and its cases from the database and does only what is still
undone, so any step (and any flow run over them) may be repeated: attaching a file twice
attaches each application once, verification skips verified cases, approval skips decided
ones, payment goes through ``services.payouts.pay_case`` (one live payout per obligation, the
provider's reference idempotency behind it).

Student aid: ``create_campaign`` → ``attach_applications`` (intake from a file; personal data
stays here) → ``verify_cases`` → ``open_notice`` (N working days of the statutory calendar,
from the policy version in force) → ``record_objection`` while it runs → ``close_notice`` once
``today`` is past its last day → ``approve_batch`` by an approver who proves who they are
(one one-time code for the batch), through ``services.approvals`` (four-eyes, limits, routing and budget apply; a refusal is recorded on
the case and the batch goes on; a case with an objection is held for a person's own decision)
→ ``pay_cases`` → ``finish_if_done``.

Seasonal relief (``services.seasonal``) creates its cases from the hardship register; they are
then approved and paid as above, without a notice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Engine, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.campaigns import (
    CAMPAIGN_TRANSITIONS,
    KIND_RULES,
    Campaign,
    CampaignCase,
    CampaignKind,
    CampaignStatus,
    ObjectionStatus,
    campaign_move_refusal,
    check_code,
    default_code,
)
from models.cases import Approval, Case, HardshipDetail, Programme
from models.enums import CaseStatus, Role
from models.errors import (
    ConflictError,
    FieldProblem,
    InputError,
    NotAuthenticated,
    NotFound,
    PermanentError,
    RetryableError,
    RuleViolation,
)
from models.hardship import PROGRAMME_BY_CATEGORY
from models.identity import Actor, Verified, actor_label
from models.intake import HardshipApplication
from models.members import Member
from models.money import format_fen
from models.org import Staff
from models.payouts import Payout, PayoutStatus
from models.payouts import outcome as payouts_outcome
from models.policy import HardshipPolicy
from models.time import utcnow
from models.working_days import first_working_day, notice_end
from services import approvals, auth, ledger, pii
from services.audit import append_event
from services.cases import load_case, resolve_actor, transition_case
from services.db import transaction
from services.moves import Audit, move
from services.notices import campaign_of, notice_hold  # noqa: F401 - part of this module's surface
from services.payment_provider import PaymentProvider
from services.payouts import open_payouts_of, pay_case, resolve_payout
from services.registry_client import MembershipRegistry
from services.settings import local_today

C = CaseStatus
NOT_VERIFIED = (C.submitted, C.verifying)
FINISHED = (C.paid, C.closed, C.rejected, C.withdrawn)
# How far along a case is, in thirds of its way through a campaign (verify, approve, pay), for progress bars.
PROGRESS_UNITS = {C.submitted: 0, C.verifying: 0, C.needs_information: 3, C.awaiting_approval: 1, C.approved: 2,
                  C.payout_pending: 2, C.paid: 3, C.closed: 3, C.rejected: 3, C.withdrawn: 3}


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignView:
    """What flows and reports may see of a campaign: no names, no identifiers beyond case numbers."""

    code: str
    kind: CampaignKind
    year: int
    status: CampaignStatus
    approver: str
    caseworker: str
    opened_on: date
    notice_starts_on: date | None
    notice_ends_on: date | None
    cases: dict[str, int]  # case status → number of cases in the campaign

    @property
    def total(self) -> int:
        return sum(self.cases.values())


def find_campaign(session: Session, code: str, *, lock: bool = False) -> Campaign:
    query = select(Campaign).where(col(Campaign.code) == code.strip().lower())
    campaign = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if campaign is None:
        raise NotFound(f"campaign {code} does not exist")
    return campaign


def _view(session: Session, campaign: Campaign) -> CampaignView:
    rows = session.execute(select(col(Case.status), func.count())
                           .join(CampaignCase, col(CampaignCase.case_id) == Case.id)
                           .where(col(CampaignCase.campaign_id) == campaign.id).group_by(col(Case.status))).all()
    return CampaignView(campaign.code, campaign.kind, campaign.year, campaign.status, campaign.approver,
                        campaign.caseworker, campaign.opened_on, campaign.notice_starts_on, campaign.notice_ends_on,
                        {CaseStatus(status).value: count for status, count in rows})


def campaign_view(code: str, *, engine: Engine | None = None) -> CampaignView:
    with transaction(engine) as session:
        return _view(session, find_campaign(session, code))


def _in_batch(campaign: Campaign) -> Any:
    """The campaign's cases that the batch decides: with a notice, those listed in it."""
    condition: ColumnElement[bool] = col(CampaignCase.campaign_id) == campaign.id
    if KIND_RULES[campaign.kind].public_notice:
        condition = and_(condition, col(CampaignCase.listed_in_notice).is_(True))
    return condition


def case_numbers(code: str, statuses: tuple[CaseStatus, ...] | None = None, *, batch_only: bool = False,
                 engine: Engine | None = None) -> list[str]:
    """Case numbers of the campaign (in intake order), optionally only in ``statuses`` or in the batch."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        condition = _in_batch(campaign) if batch_only else col(CampaignCase.campaign_id) == campaign.id
        query = (select(col(Case.case_number)).join(CampaignCase, col(CampaignCase.case_id) == Case.id)
                 .where(condition))
        if statuses:
            query = query.where(col(Case.status).in_(statuses))
        return list(session.execute(query.order_by(col(Case.id))).scalars())


def campaign_progress(code: str, *, engine: Engine | None = None) -> float:
    """Per cent of the campaign's work done: each case is verified, decided and paid (or finished early)."""
    view = campaign_view(code, engine=engine)
    if view.total == 0:
        return 100.0 if view.status == CampaignStatus.done else 0.0
    units = sum(PROGRESS_UNITS.get(CaseStatus(status), 0) * count for status, count in view.cases.items())
    return round(100.0 * units / (3 * view.total), 1)


# --- creating --------------------------------------------------------------------------------


def _staff_with_role(session: Session, staff_number: str, role: Role, field_name: str) -> Staff:
    staff = session.execute(select(Staff).where(col(Staff.staff_number) == staff_number)).scalar_one_or_none()
    if staff is None or not staff.active:
        raise InputError(field_name, "is not an active staff member")
    if not staff.has_role(role):
        raise InputError(field_name, f"needs the {role.value} role")
    return staff


def create_campaign(kind: CampaignKind | str, year: int, *, caseworker: str, approver: str, code: str | None = None,
                    opened_on: date | None = None, engine: Engine | None = None) -> CampaignView:
    """A new campaign, or the existing one with this code when it is the same kind and year."""
    kind = CampaignKind(kind)
    code = check_code(code or default_code(kind, year))
    if caseworker == approver:
        raise InputError("approver", "must not be the caseworker who submits the cases (four-eyes)")
    with transaction(engine) as session:
        existing = session.execute(select(Campaign).where(col(Campaign.code) == code)).scalar_one_or_none()
        if existing is not None:
            if (existing.kind, existing.year) != (kind, year):
                raise InputError("code", f"campaign {code} exists already for {existing.kind.value} {existing.year}")
            return _view(session, existing)
        _staff_with_role(session, caseworker, Role.caseworker, "caseworker")
        _staff_with_role(session, approver, Role.approver, "approver")
        programme = PROGRAMME_BY_CATEGORY[kind.category]
        ledger.find_programme(session, programme, year)  # NotFound names the programme to add
        campaign = Campaign(code=code, kind=kind, year=year, opened_on=opened_on or local_today(), approver=approver,
                            caseworker=caseworker)
        session.add(campaign)
        session.flush()
        append_event(session, actor=caseworker, action="campaign_created",
                     payload={"campaign": code, "kind": kind.value, "year": year, "approver": approver})
        return _view(session, campaign)


def programme_of(session: Session, campaign: Campaign) -> Programme:
    return ledger.find_programme(session, PROGRAMME_BY_CATEGORY[campaign.kind.category], campaign.year)


def unattached_case(session: Session, campaign: Campaign, member_id: int, facts: dict[str, Any]) -> Case | None:
    """A submitted case of this member and category, in no campaign: left by an attach that
    stopped between storing the case and attaching it. Adopted instead of taking it twice."""
    programme = programme_of(session, campaign)
    candidates = session.execute(
        select(Case, HardshipDetail).join(HardshipDetail, col(HardshipDetail.case_id) == Case.id)
        .where(col(Case.applicant_member_id) == member_id, col(Case.category) == campaign.kind.value,
               col(Case.status) == C.submitted, col(Case.programme_id) == programme.id,
               ~exists().where(col(CampaignCase.case_id) == Case.id))
        .order_by(col(Case.id))).all()
    for case, detail in candidates:
        if all(detail.facts.get(key) == value for key, value in facts.items()):
            return case
    return None


def attach_case(session: Session, campaign: Campaign, case: Case, household_id: int | None, actor: str) -> CampaignCase:
    link = CampaignCase(campaign_id=campaign.id, case_id=case.id, member_id=case.applicant_member_id,  # type: ignore[arg-type]
                        household_id=household_id)
    session.add(link)
    session.flush()
    append_event(session, actor=actor, action="campaign_case_attached", case_id=case.id, case_number=case.case_number,
                 payload={"campaign": campaign.code})
    return link


# --- student aid: applications from a file ---------------------------------------------------


@dataclass
class AttachReport:
    attached: list[str] = field(default_factory=list)  # newly attached case numbers
    already: list[str] = field(default_factory=list)  # attached by an earlier run of the same file
    problems: list[FieldProblem] = field(default_factory=list)


def attach_applications(code: str, path: Path, *, submitted_by: Actor, engine: Engine | None = None) -> AttachReport:
    """Take every application in the file into the campaign, submitted by the caseworker who
    proves who they are (each row must name them); problems listed by row and field."""
    from services.hardship_files import read_applications

    applications, problems = read_applications(path)
    report = AttachReport(problems=list(problems))
    who = auth.proven(submitted_by, engine=engine) if applications else submitted_by  # one code for the file
    for row, form in applications:
        try:
            number, new = attach_application(code, form, submitted_by=who, engine=engine)
        except InputError as exc:
            detail = exc.problem_detail
            report.problems.append(FieldProblem(detail.field, detail.problem, detail.row or row))
        except (RuleViolation, NotFound, ConflictError) as exc:
            report.problems.append(FieldProblem("application", str(exc), row))
        else:
            (report.attached if new else report.already).append(number)
    return report


def attach_application(code: str, form: HardshipApplication, *, submitted_by: Actor,
                       engine: Engine | None = None) -> tuple[str, bool]:
    """Intake one student-aid application into the campaign: (case number, newly attached).

    One application per applicant and per household in a campaign; the same applicant again is
    the earlier case (a file attached twice changes nothing)."""
    from services.intake import intake_hardship

    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        if not KIND_RULES[campaign.kind].public_notice or KIND_RULES[campaign.kind].from_registered_households:
            raise RuleViolation(f"campaign {campaign.code} takes no applications: its cases come from the register")
        if form.category.value != campaign.kind.value:
            raise InputError("category", f"must be {campaign.kind.value} for campaign {campaign.code}")
        applied_on = form.applied_on or local_today()
        if applied_on.year != campaign.year:
            raise InputError("applied_on", f"must be in {campaign.year}, the year of campaign {campaign.code}")
        member = session.execute(
            select(Member).where(col(Member.member_number) == form.applicant_member_number)
        ).scalar_one_or_none()
        if member is None:
            raise InputError("applicant_member_number", "is not a registered member")
        earlier = session.execute(select(col(Case.case_number)).join(CampaignCase, col(CampaignCase.case_id) == Case.id)
                                  .where(col(CampaignCase.campaign_id) == campaign.id,
                                         col(CampaignCase.member_id) == member.id)).scalar_one_or_none()
        if earlier is not None:
            return earlier, False
        _refuse_second_of_household(session, campaign, member.household_id)
        if campaign.status != CampaignStatus.open:
            raise RuleViolation(f"campaign {campaign.code} is {campaign.status.value}: applications are attached "
                                "while it is open, before the notice")
        orphan = unattached_case(session, campaign, member.id, {"applied_on": applied_on.isoformat()})
        number = orphan.case_number if orphan else None
    if number is None:
        number = intake_hardship(form, submitted_by, engine=engine)
    try:
        with transaction(engine) as session:
            campaign = find_campaign(session, code)
            case = load_case(session, number)
            attach_case(session, campaign, case, member.household_id, actor_label(submitted_by))
    except IntegrityError:
        raise ConflictError(f"case {number} was attached to campaign {code} by someone else at the same moment; "
                            "attach the file again to see where it stands") from None
    return number, True


def _refuse_second_of_household(session: Session, campaign: Campaign, household_id: int | None) -> None:
    if household_id is None:
        return
    other = session.execute(select(col(Case.case_number)).join(CampaignCase, col(CampaignCase.case_id) == Case.id)
                            .where(col(CampaignCase.campaign_id) == campaign.id,
                                   col(CampaignCase.household_id) == household_id)).scalar_one_or_none()
    if other is not None:
        raise RuleViolation(f"the household already has case {other} in campaign {campaign.code}: one application per "
                            "household (no double aid in a year)")


# --- verification ------------------------------------------------------------------------------


def _statuses(session: Session, numbers: list[str]) -> dict[str, CaseStatus]:
    rows = session.execute(select(col(Case.case_number), col(Case.status))
                           .where(col(Case.case_number).in_(numbers))).all()
    return {number: CaseStatus(status) for number, status in rows}


def verify_cases(numbers: list[str], registry: MembershipRegistry, *, policy: HardshipPolicy | None = None,
                 engine: Engine | None = None) -> dict[str, int]:
    """Verify each case that is not verified yet; counts by the status each case reached.

    A registry that cannot be reached stops no other case: the chunk finishes, then
    ``RetryableError`` says how many are left (a retry skips the verified ones)."""
    from services.verification import current_policy, verify_hardship

    policy = policy or current_policy()
    with transaction(engine) as session:
        statuses = _statuses(session, numbers)
    counts: Counter[str] = Counter()
    unreachable: list[str] = []
    for number in numbers:
        if statuses.get(number) not in NOT_VERIFIED:
            counts["verified earlier"] += 1
            continue
        try:
            counts[verify_hardship(number, registry, policy=policy, engine=engine).status.value] += 1
        except RetryableError as exc:
            unreachable.append(str(exc))
        except ConflictError:
            counts["changed meanwhile"] += 1  # verified by another run at the same moment
    if unreachable:
        raise RetryableError(f"{len(unreachable)} case(s) not verified yet: {unreachable[0]}")
    return dict(counts)


# --- the public notice -------------------------------------------------------------------------


def _move_campaign(session: Session, campaign: Campaign, to: CampaignStatus, *, actor: str, reason: str = "",
                   payload: dict[str, Any] | None = None, **values: Any) -> bool:
    """Guarded campaign move with its audit event. False when another run moved it first."""
    frm = campaign.status
    why = campaign_move_refusal(campaign.kind, frm, to)
    if why:
        raise RuleViolation(f"campaign {campaign.code}: {why}")
    audit = Audit(actor, CAMPAIGN_TRANSITIONS[(frm, to)], reason, payload={"campaign": campaign.code, **(payload or {})})
    return move(session, campaign, to, at=utcnow(), audit=audit, versioned=True, values=values)


def open_notice(code: str, *, today: date | None = None, policy: HardshipPolicy | None = None,
                engine: Engine | None = None) -> CampaignView:
    """List every case awaiting approval in the public notice, starting on the first working day
    from ``today``, for the working days of the policy version in force then."""
    from services.verification import current_policy

    today = today or local_today()
    policy = policy or current_policy()
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if campaign.status != CampaignStatus.open:
            return _view(session, campaign)
        if not KIND_RULES[campaign.kind].public_notice:
            raise RuleViolation(f"campaign {campaign.code}: {campaign.kind.value} has no public notice")
        pending = session.execute(select(func.count()).select_from(CampaignCase)
                                  .join(Case, col(Case.id) == CampaignCase.case_id)
                                  .where(col(CampaignCase.campaign_id) == campaign.id,
                                         col(Case.status).in_(NOT_VERIFIED))).scalar_one()
        if pending:
            raise RuleViolation(f"campaign {campaign.code}: {pending} case(s) are not verified yet; the notice lists "
                                "the outcome of verification")
        version = policy.version_on(today)
        days = version.public_notice.working_days
        starts = first_working_day(today)
        ends = notice_end(starts, days)
        awaiting = select(col(Case.id)).where(col(Case.status) == C.awaiting_approval)
        # An UPDATE returns a CursorResult (Session.execute is typed as returning any Result).
        listed = cast(CursorResult[Any], session.execute(
            update(CampaignCase).where(col(CampaignCase.campaign_id) == campaign.id,
                                       col(CampaignCase.case_id).in_(awaiting))
            .values(listed_in_notice=True, notice_starts_on=starts, notice_ends_on=ends)
            .execution_options(synchronize_session=False))).rowcount
        _move_campaign(session, campaign, CampaignStatus.notice, actor="system",
                       reason=f"public notice {starts.isoformat()} to {ends.isoformat()} ({days} working days)",
                       payload={"listed": listed, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
                                "working_days": days, "policy_version": version.version},
                       notice_starts_on=starts, notice_ends_on=ends, notice_working_days=days,
                       notice_policy_version=version.version)
        return _view(session, campaign)


def record_objection(code: str, case_number: str, *, text: str, recorded_by: Actor, today: date | None = None,
                     engine: Engine | None = None) -> None:
    """Record an objection to a listed case while the notice runs. The case is then held out of
    the batch approval until a person approves or rejects it (``unionaid approve|reject``)."""
    cleaned = (text or "").strip()
    if len(cleaned) < 2 or len(cleaned) > 2000:
        raise InputError("objection", "say what the objection is (2 to 2,000 characters)")
    today = today or local_today()
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        if campaign.status == CampaignStatus.open:
            raise RuleViolation(f"campaign {campaign.code} is {campaign.status.value}: objections are recorded while "
                                "its public notice runs; the approver may still reject the case")
        acting = resolve_actor(session, recorded_by)
        if acting.staff_id is None:
            raise InputError("recorded_by", "an objection is recorded by a staff member")
        case = load_case(session, case_number)
        link = session.execute(select(CampaignCase).where(col(CampaignCase.campaign_id) == campaign.id,
                                                          col(CampaignCase.case_id) == case.id)).scalar_one_or_none()
        if link is None or not link.listed_in_notice or link.notice_ends_on is None:
            raise NotFound(f"case {case.case_number} is not listed in a notice of campaign {campaign.code}")
        if link.notice_ended or today > link.notice_ends_on:
            raise RuleViolation(f"the notice listing {case.case_number} ended on {link.notice_ends_on.isoformat()}; "
                                "the approver may still reject the case")
        earlier = pii.open_text(link.objection_text)
        link.objection_text = pii.seal_text(f"{earlier}\n---\n{cleaned}" if earlier else cleaned)
        link.objection_recorded_by = acting.label
        link.objection_recorded_at = utcnow()
        link.objection_status = ObjectionStatus.open
        session.add(link)
        append_event(session, actor=acting.audit_actor, action="objection_recorded", case_id=case.id,
                     case_number=case.case_number, from_status=case.status.value, to_status=case.status.value,
                     reason="an objection to the public notice", payload={"campaign": campaign.code})


def close_notice(code: str, *, today: date | None = None, engine: Engine | None = None) -> bool:
    """End the notice once ``today`` is past its last day. True when the campaign is past its notice."""
    today = today or local_today()
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if campaign.status != CampaignStatus.notice:
            return campaign.status in (CampaignStatus.approving, CampaignStatus.paying, CampaignStatus.done)
        assert campaign.notice_ends_on is not None
        if today <= campaign.notice_ends_on:
            return False
        objections = session.execute(select(func.count()).select_from(CampaignCase).where(
            col(CampaignCase.campaign_id) == campaign.id, col(CampaignCase.objection_status).is_not(None))).scalar_one()
        _end_notices(session, campaign, today)
        _move_campaign(session, campaign, CampaignStatus.approving, actor="system",
                       reason=f"public notice ended on {campaign.notice_ends_on.isoformat()}",
                       payload={"objections": objections})
        return True  # moved now, or by another run at the same moment


def _end_notices(session: Session, campaign: Campaign, today: date) -> int:
    """Mark the notices of this campaign's cases that ended before ``today``; how many."""
    return session.execute(update(CampaignCase).where(
        col(CampaignCase.campaign_id) == campaign.id, col(CampaignCase.listed_in_notice).is_(True),
        col(CampaignCase.notice_ended).is_(False), col(CampaignCase.notice_ends_on) < today)
        .values(notice_ended=True).execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]


def supplementary_notice(code: str, *, today: date | None = None, engine: Engine | None = None) -> dict[str, int]:
    """After the campaign's notice opened: list each case verified since (documents came late) in
    a supplementary notice of the same number of working days from ``today``, and end the
    supplementary notices whose last day has passed. Those cases are then approved and paid like
    the rest; none is approved before its own notice has run."""
    today = today or local_today()
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if (not KIND_RULES[campaign.kind].public_notice or campaign.notice_working_days is None
                or campaign.status in (CampaignStatus.open, CampaignStatus.done)):
            return {}
        late = session.execute(select(CampaignCase, Case).join(Case, col(Case.id) == CampaignCase.case_id).where(
            col(CampaignCase.campaign_id) == campaign.id, col(CampaignCase.listed_in_notice).is_(False),
            col(Case.status) == C.awaiting_approval).order_by(col(Case.id))).all()
        starts = first_working_day(today)
        ends = notice_end(starts, campaign.notice_working_days)
        for link, case in late:
            link.listed_in_notice, link.notice_starts_on, link.notice_ends_on = True, starts, ends
            session.add(link)
            append_event(session, actor="system", action="listed_in_supplementary_notice", case_id=case.id,
                         case_number=case.case_number, from_status=case.status.value, to_status=case.status.value,
                         reason=f"verified after the campaign's notice opened: supplementary public notice "
                                f"{starts.isoformat()} to {ends.isoformat()}",
                         payload={"campaign": campaign.code, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()})
        session.flush()
        ended = _end_notices(session, campaign, today) if campaign.status != CampaignStatus.notice else 0
    return {key: value for key, value in (("listed", len(late)), ("ended", ended)) if value}


def mark_cases_ready(code: str, *, engine: Engine | None = None) -> bool:
    """A campaign without a notice goes to approval once every case it planned exists."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if campaign.status != CampaignStatus.open:
            return campaign.status != CampaignStatus.notice
        _move_campaign(session, campaign, CampaignStatus.approving, actor="system",
                       reason="every case of the campaign is ready for approval")
        return True


# --- approval ----------------------------------------------------------------------------------


def _approval_reason(campaign: Campaign, link: CampaignCase | None) -> str:
    if link is not None and link.notice_starts_on and link.notice_ends_on:
        return (f"campaign {campaign.code}: public notice {link.notice_starts_on.isoformat()} to "
                f"{link.notice_ends_on.isoformat()} ended without objection")
    return f"campaign {campaign.code}: registered hardship household, the policy's fixed amount for its tier"


def approve_batch(code: str, *, approver: Actor, engine: Engine | None = None) -> dict[str, int]:
    """The batch approval: an approver who proves who they are (one code for the whole batch)
    approves every case of the batch still awaiting approval, then the campaign goes on to
    payment. The name stored at the campaign's creation approves nothing."""
    who = auth.proven(approver, engine=engine)
    if not isinstance(who, Verified):
        raise NotAuthenticated(f"campaign {code}: the batch approval is made by an approver who proves who they are")
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        if campaign.status not in (CampaignStatus.approving, CampaignStatus.paying):
            raise RuleViolation(f"campaign {campaign.code} is {campaign.status.value}, not waiting for its batch approval")
    counts = approve_cases(code, case_numbers(code, (C.awaiting_approval,), batch_only=True, engine=engine),
                           approver=who, engine=engine)
    finish_approval(code, engine=engine)
    return counts


def approve_cases(code: str, numbers: list[str], *, approver: Verified, engine: Engine | None = None) -> dict[str, int]:
    """``approver`` (proved) approves each listed case still awaiting approval, for the amount
    verified. Held out: a case with an objection, one refused before, one already approved by
    this approver (a second approver must decide). A refusal is recorded and the rest go on."""
    if not isinstance(approver, Verified):
        raise NotAuthenticated(f"campaign {code}: the batch approval is made by an approver who proves who they are")
    counts: Counter[str] = Counter()
    for number in numbers:
        with transaction(engine) as session:
            campaign = find_campaign(session, code)
            if campaign.status not in (CampaignStatus.approving, CampaignStatus.paying):
                raise RuleViolation(f"campaign {campaign.code} is {campaign.status.value}, not approving")
            case = load_case(session, number)
            link = session.execute(
                select(CampaignCase).where(col(CampaignCase.case_id) == case.id)
            ).scalar_one_or_none()
            skip = _held_because(session, campaign, case, link, approver.staff_number)
            amount, version = case.requested_fen, case.version
            reason = _approval_reason(campaign, link)
        if skip:
            counts[skip] += 1
            continue
        try:
            decided = approvals.approve_case(number, approver=approver, amount_fen=amount, reason=reason,
                                             expected_version=version, engine=engine)
        except ConflictError:
            counts["decided meanwhile"] += 1
            continue
        except (RuleViolation, InputError, NotFound) as exc:
            counts[_record_refusal(code, number, approver, str(exc), engine)] += 1
            continue
        counts["approved" if decided.status == C.approved else "waiting for a second approver"] += 1
    return dict(counts)


def batch_readiness(code: str, numbers: list[str], *, engine: Engine | None = None) -> dict[str, int]:
    """What the listed cases wait for, before an approver comes: the batch approval, or what holds
    each out of it (its notice, an objection, an earlier refusal)."""
    counts: Counter[str] = Counter()
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        for number in numbers:
            case = load_case(session, number)
            link = session.execute(select(CampaignCase).where(col(CampaignCase.case_id) == case.id)).scalar_one_or_none()
            counts[_held_because(session, campaign, case, link, None) or "waiting for the batch approval"] += 1
    return dict(counts)


def _held_because(session: Session, campaign: Campaign, case: Case, link: CampaignCase | None,
                  approver: str | None) -> str | None:
    if link is None or link.campaign_id != campaign.id:
        return "not in this campaign"
    if case.status != C.awaiting_approval:
        return "decided earlier"
    if KIND_RULES[campaign.kind].public_notice and not link.listed_in_notice:
        return "not listed in a notice yet"
    if KIND_RULES[campaign.kind].public_notice and not link.notice_ended:
        return "in its public notice"
    if link.objection_status == ObjectionStatus.open:
        return "held: objection, a person decides"
    if link.batch_refusal:
        return "refused earlier, a person decides"
    if approver is None:
        return None
    mine = session.execute(select(func.count()).select_from(Approval)
                           .join(Staff, col(Staff.id) == Approval.approver_staff_id)
                           .where(col(Approval.case_id) == case.id,
                                  col(Staff.staff_number) == approver)).scalar_one()
    return "waiting for a second approver" if mine else None


def _record_refusal(code: str, number: str, approver: Verified, why: str, engine: Engine | None) -> str:
    with transaction(engine) as session:
        case = load_case(session, number)
        if case.status != C.awaiting_approval:
            return "decided meanwhile"  # another run or a person decided first: not a refusal
        link = session.execute(select(CampaignCase).where(col(CampaignCase.case_id) == case.id)).scalar_one()
        link.batch_refusal = why[:1000]
        session.add(link)
        append_event(session, actor=approver, action="campaign_approval_refused", case_id=case.id,
                     case_number=number, from_status=case.status.value, to_status=case.status.value,
                     reason=why[:1900], payload={"campaign": code})
    return "refused"


def finish_approval(code: str, *, engine: Engine | None = None) -> bool:
    """approving → paying, once the batch has been through approval. True when past approval."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if campaign.status != CampaignStatus.approving:
            return campaign.status in (CampaignStatus.paying, CampaignStatus.done)
        counts: dict[CaseStatus, int] = dict(session.execute(
            select(col(Case.status), func.count()).join(CampaignCase, col(CampaignCase.case_id) == Case.id)
            .where(_in_batch(campaign)).group_by(col(Case.status))).all())
        _move_campaign(session, campaign, CampaignStatus.paying, actor="system",
                       reason="batch approval done; cases held out wait for a person's decision",
                       payload={"cases": {CaseStatus(k).value: v for k, v in counts.items()}})
        return True


# --- payment -----------------------------------------------------------------------------------


def pay_cases(numbers: list[str], provider: PaymentProvider, *, engine: Engine | None = None) -> dict[str, int]:
    """Pay each approved case, finish payouts a crash left open, close paid cases. A case whose
    payout the provider definitely refused is left for a person (``unionaid pay`` after the
    bank account is checked), never retried here with a new reference."""
    counts: Counter[str] = Counter()
    for number in numbers:
        with transaction(engine) as session:
            case = load_case(session, number)
            status = case.status
            failed = session.execute(select(func.count()).select_from(Payout).where(
                col(Payout.case_id) == case.id, col(Payout.status) == PayoutStatus.failed)).scalar_one()
        try:
            if status == C.approved and failed:
                counts["payout failed earlier, a person looks"] += 1
                continue
            if status == C.approved:
                outcome = payouts_outcome(view.status for view in pay_case(number, provider, engine=engine))
            elif status == C.payout_pending and (on_their_way := open_payouts_of(number, engine=engine)):
                outcome = payouts_outcome(resolve_payout(payout_id, provider, engine=engine)
                                          for payout_id in on_their_way)
            elif status == C.paid:
                outcome = PayoutStatus.succeeded
            else:
                counts["not payable"] += 1
                continue
        except (PermanentError, RuleViolation) as exc:
            counts["refused: " + type(exc).__name__] += 1
            continue
        if outcome == PayoutStatus.succeeded and _status_of(number, engine) == C.paid:
            transition_case(number, C.closed, actor="system", reason="paid in full", engine=engine)
            counts["paid"] += 1
        elif outcome == PayoutStatus.succeeded:  # its others were paid, one was refused: back to approved
            counts["payout failed earlier, a person looks"] += 1
        else:
            counts[f"payout {outcome.value}"] += 1
    return dict(counts)


def _status_of(number: str, engine: Engine | None) -> C:
    with transaction(engine) as session:
        return load_case(session, number).status


def pay_batch(code: str, provider: PaymentProvider, *, engine: Engine | None = None) -> dict[str, int]:
    """Pay the campaign's approved batch cases, once it is past its batch approval; then settle
    objections and finish the campaign when every case is done. Nothing before approval."""
    with transaction(engine) as session:
        paying = find_campaign(session, code).status == CampaignStatus.paying
    if not paying:
        return {}
    counts = pay_cases(case_numbers(code, (C.approved, C.payout_pending, C.paid), batch_only=True, engine=engine),
                       provider, engine=engine)
    settle_objections(code, engine=engine)
    finish_if_done(code, engine=engine)
    return counts


def settle_objections(code: str, *, engine: Engine | None = None) -> int:
    """Mark open objections whose case a person has decided: upheld (rejected, withdrawn) or
    dismissed (approved). Returns how many were settled."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        rows = session.execute(select(CampaignCase, Case).join(Case, col(Case.id) == CampaignCase.case_id)
                               .where(col(CampaignCase.campaign_id) == campaign.id,
                                      col(CampaignCase.objection_status) == ObjectionStatus.open)).all()
        settled = 0
        for link, case in rows:
            if case.status in (C.awaiting_approval, C.submitted, C.verifying, C.needs_information):
                continue
            # A closed case was either paid (approved before) or rejected and then closed.
            granted = case.status in (C.approved, C.payout_pending, C.paid) or (
                case.status == C.closed and case.approved_fen is not None)
            link.objection_status = ObjectionStatus.dismissed if granted else ObjectionStatus.upheld
            session.add(link)
            settled += 1
        return settled


def finish_if_done(code: str, *, engine: Engine | None = None) -> CampaignView:
    """paying → done once every case of the batch is finished."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code, lock=True)
        if campaign.status == CampaignStatus.paying:
            # Every case, not only the batch: a case still waiting for documents keeps the campaign
            # open, so that it gets its own notice, approval and payment when they arrive.
            left = session.execute(select(func.count()).select_from(CampaignCase)
                                   .join(Case, col(Case.id) == CampaignCase.case_id)
                                   .where(col(CampaignCase.campaign_id) == campaign.id,
                                          col(Case.status).not_in(FINISHED))).scalar_one()
            if not left:
                _move_campaign(session, campaign, CampaignStatus.done, actor="system",
                               reason="every case of the campaign is paid, rejected or withdrawn")
        return _view(session, campaign)


# --- reporting -----------------------------------------------------------------------------------


def summary_markdown(code: str, *, engine: Engine | None = None, limit: int = 100) -> str:
    """The campaign for people (a Prefect artifact): counts, dates, and the cases that wait for a
    person, by case number and reason only."""
    with transaction(engine) as session:
        campaign = find_campaign(session, code)
        view = _view(session, campaign)
        waiting = session.execute(
            select(col(Case.case_number), col(Case.status), col(CampaignCase.objection_status),
                   col(CampaignCase.batch_refusal))
            .join(CampaignCase, col(CampaignCase.case_id) == Case.id)
            .where(_in_batch(campaign), (col(CampaignCase.objection_status).is_not(None))
                   | (col(CampaignCase.batch_refusal).is_not(None)))
            .order_by(col(Case.id)).limit(limit)).all()
        money = session.execute(select(func.coalesce(func.sum(Case.approved_fen), 0), func.coalesce(func.sum(Case.paid_fen), 0))
                                .join(CampaignCase, col(CampaignCase.case_id) == Case.id)
                                .where(col(CampaignCase.campaign_id) == campaign.id)).one()
    lines = [f"# Campaign {view.code} ({view.kind.value} {view.year})", "",
             f"- status: **{view.status.value}**; approver {view.approver}; opened on {view.opened_on.isoformat()}"]
    if view.notice_starts_on and view.notice_ends_on:
        lines.append(f"- public notice: {view.notice_starts_on.isoformat()} to {view.notice_ends_on.isoformat()} (inclusive)")
    lines += [f"- approved {format_fen(int(money[0]))}, paid {format_fen(int(money[1]))}", "",
              "| case status | cases |", "| --- | ---: |"]
    lines += [f"| {status} | {count} |" for status, count in sorted(view.cases.items())]
    if waiting:
        lines += ["", "Cases for a person to decide:", "", "| case | status | objection | batch approval refused |",
                  "| --- | --- | --- | --- |"]
        for number, status, objection, refusal in waiting:
            objection_text = ObjectionStatus(objection).value if objection else ""
            refusal_text = (refusal or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {number} | {CaseStatus(status).value} | {objection_text} | {refusal_text} |")
    return "\n".join(lines) + "\n"
