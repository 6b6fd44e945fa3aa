"""The rules of a mediation case, each a pure function with its legal basis.

The law: the Labour Dispute Mediation and Arbitration Law (劳动争议调解仲裁法, "LDMAL") and the
Enterprise Labour Dispute Negotiation and Mediation Provisions (企业劳动争议协商调解规定, "the
enterprise mediation rules"). Each check answers with a ``Check``: its name, whether it holds,
and why, in words a mediator can put in a written decision. No database, no clock: the caller
passes the days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from models.working_days import CalendarNotCovered, days_after, working_days_after

MEDIATION_DAYS = 15  # LDMAL art. 14


class Relationship(StrEnum):
    employment = "employment"  # 劳动关系
    dispatch = "dispatch"  # 劳务派遣
    service = "service"  # 劳务关系 (a civil service contract: not a labour dispute)
    commercial = "commercial"  # 经济纠纷 (a business dispute: not a labour dispute)


RELATIONSHIP_NAMES = {Relationship.employment: "劳动关系", Relationship.dispatch: "劳务派遣",
                      Relationship.service: "劳务关系", Relationship.commercial: "经济纠纷"}
LABOUR_RELATIONSHIPS = frozenset({Relationship.employment, Relationship.dispatch})


class DisputeType(StrEnum):
    unpaid_wages = "unpaid_wages"  # 拖欠工资
    termination = "termination"  # 解除/终止劳动合同
    work_injury = "work_injury"  # 工伤
    social_insurance = "social_insurance"  # 社会保险
    overtime = "overtime"  # 加班
    other = "other"  # 其他


DISPUTE_NAMES = {DisputeType.unpaid_wages: "拖欠工资", DisputeType.termination: "解除劳动合同",
                 DisputeType.work_injury: "工伤", DisputeType.social_insurance: "社会保险",
                 DisputeType.overtime: "加班", DisputeType.other: "其他"}


class ClaimKind(StrEnum):
    wages = "wages"  # 工资
    overtime_pay = "overtime_pay"  # 加班费
    severance = "severance"  # 经济补偿
    compensation = "compensation"  # 赔偿金
    injury_medical = "injury_medical"  # 工伤医疗费
    injury_benefits = "injury_benefits"  # 工伤待遇
    social_insurance = "social_insurance"  # 社会保险
    reinstatement = "reinstatement"  # 恢复劳动关系
    other = "other"  # 其他


CLAIM_NAMES = {ClaimKind.wages: "工资", ClaimKind.overtime_pay: "加班费", ClaimKind.severance: "经济补偿",
               ClaimKind.compensation: "赔偿金", ClaimKind.injury_medical: "工伤医疗费",
               ClaimKind.injury_benefits: "工伤待遇", ClaimKind.social_insurance: "社会保险",
               ClaimKind.reinstatement: "恢复劳动关系", ClaimKind.other: "其他"}
# LDMAL art. 16: an agreement on these that the employer does not honour lets the worker ask a
# court for a payment order (支付令).
PAYMENT_ORDER_KINDS = frozenset({ClaimKind.wages, ClaimKind.injury_medical, ClaimKind.severance,
                                 ClaimKind.compensation})


class Tribunal(StrEnum):
    none = "none"
    arbitration = "arbitration"  # 已申请仲裁
    court = "court"  # 已起诉


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    detail: str


def one_year_after(day: date) -> date:
    """The last day of a one-year period that starts the day after ``day``: the same date a year
    later (29 February: the 28th). A year is counted in calendar years, so it is 366 days long
    when it holds a 29 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def limitation_ends(knew_on: date, *, unpaid_wages: bool, employed_until: date | None) -> date | None:
    """The last day to claim (LDMAL art. 27): one year from the day the worker knew or should
    have known of the infringement. Unpaid wages during employment are not time-barred while the
    employment lasts (None: it still lasts); after it ends, one year from its end."""
    if unpaid_wages:
        if employed_until is None:
            return None
        return one_year_after(max(employed_until, knew_on))
    return one_year_after(knew_on)


def within_limitation(knew_on: date, received_on: date, *, unpaid_wages: bool, employed_until: date | None) -> Check:
    """LDMAL art. 27: the application is received at the latest on the limitation's last day."""
    if knew_on > received_on:
        return Check("within_limitation", False, "the day the worker knew of the dispute is after the application "
                                                 "was received")
    last = limitation_ends(knew_on, unpaid_wages=unpaid_wages, employed_until=employed_until)
    if last is None:
        return Check("within_limitation", True, "unpaid wages during employment: not time-barred while the "
                                                "employment lasts (art. 27)")
    if received_on <= last:
        return Check("within_limitation", True, f"received within one year: the limitation ends {last.isoformat()} "
                                                "(art. 27)")
    return Check("within_limitation", False, f"time-barred: the one-year limitation ended {last.isoformat()} "
                                             "(art. 27)")


def in_scope(relationship: Relationship, employed_from: date, employed_until: date | None) -> Check:
    """LDMAL art. 2: labour disputes between an employer and a worker in a labour relationship
    (including dispatch); a civil service contract or a business dispute is for the courts."""
    if relationship not in LABOUR_RELATIONSHIPS:
        return Check("in_scope", False, f"a {RELATIONSHIP_NAMES[relationship]} dispute is not a labour dispute "
                                        "(art. 2): it goes to a court, not to labour-dispute mediation")
    if employed_until is not None and employed_until < employed_from:
        return Check("in_scope", False, "the employment ends before it starts")
    return Check("in_scope", True, "a labour dispute between a worker and an employer (art. 2)")


def within_jurisdiction(district: str, served: dict[str, str]) -> Check:
    """The federation mediates for employers in the districts its policy names."""
    if district in served:
        return Check("within_jurisdiction", True, f"the employer is in {served[district]} ({district})")
    return Check("within_jurisdiction", False, "the employer is in no district we serve: refer the worker to the "
                                               "mediation body of the employer's district")


def not_before_tribunal(before: Tribunal) -> Check:
    """LDMAL arts. 5 and 10: mediation is before arbitration; a dispute already before an
    arbitration commission or a court is heard there."""
    if before == Tribunal.none:
        return Check("not_before_tribunal", True, "not before an arbitration commission or a court")
    where = "an arbitration commission" if before == Tribunal.arbitration else "a court"
    return Check("not_before_tribunal", False, f"the dispute is before {where} already (art. 5): it is heard there")


def worker_consents(consent: bool) -> Check:
    """The enterprise mediation rules: mediation is voluntary; the worker
    applies and consents (the employer's consent is recorded at acceptance)."""
    if consent:
        return Check("worker_consent", True, "the worker consents to mediation")
    return Check("worker_consent", False, "the worker's consent to mediation is not recorded")


def acceptance_due(received_on: date, working_days: int) -> date:
    """The enterprise mediation rules: accept, or decline in writing, within ``working_days``
    working days of receiving the application (the day of receipt does not count)."""
    return working_days_after(received_on, working_days)


def mediation_due(received_on: date, extended_days: int = 0) -> date:
    """LDMAL art. 14: no agreement within 15 days of receipt: either party may apply for
    arbitration; both parties may agree to extend (the enterprise mediation rules). A period
    ending on a rest day or holiday ends on the next working day; in a year whose holidays are
    not known yet, on its own last day (the earliest it can end)."""
    try:
        return days_after(received_on, MEDIATION_DAYS + extended_days)
    except CalendarNotCovered:
        return received_on + timedelta(days=MEDIATION_DAYS + extended_days)


def extension_refusal(already: int, more: int, most: int, last_day: date, today: date) -> tuple[str, str] | None:
    """Why this extension cannot be recorded (field, problem), or None: it is agreed before the
    period runs out, and all extensions together stay within the policy's limit."""
    if more < 1:
        return "days", "must be at least 1"
    if already + more > most:
        return "days", f"would extend mediation by {already + more} days in all; the policy allows at most {most}"
    if today > last_day:
        return "days", f"the mediation period ended {last_day.isoformat()}: it can no longer be extended"
    return None


@dataclass(frozen=True)
class Marks:
    """What makes an agreement effective (LDMAL art. 14)."""

    worker_signed: bool
    employer_signed: bool
    mediator_signed: bool
    body_sealed: bool


MARK_NAMES = {"worker_signed": "the worker's signature", "employer_signed": "the employer's signature or seal",
              "mediator_signed": "the mediator's signature", "body_sealed": "the mediation body's seal"}


def missing_marks(marks: Marks) -> list[str]:
    """LDMAL art. 14: the agreement takes effect once both parties have signed or sealed it, the
    mediator has signed it and the mediation body has sealed it; what is still missing."""
    return [MARK_NAMES[name] for name in MARK_NAMES if not getattr(marks, name)]


def arbitration_deadline(ended_on: date, *, unpaid_wages: bool, employed_until: date | None) -> date | None:
    """LDMAL art. 27 para. 2: applying for mediation interrupts the limitation, which runs again,
    one full year, from the day mediation ended. Unpaid wages while employment lasts: none."""
    if unpaid_wages and employed_until is None:
        return None
    start = max(ended_on, employed_until) if unpaid_wages and employed_until else ended_on
    return one_year_after(start)


def payment_order_open(kinds: set[ClaimKind]) -> bool:
    """LDMAL art. 16: an unhonoured agreement on wages, work-injury medical costs, severance or
    compensation lets the worker apply to a court for a payment order."""
    return bool(kinds & PAYMENT_ORDER_KINDS)
