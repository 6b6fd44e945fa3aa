"""The rules of a mutual-insurance claim, each a pure function of the facts the caller passes.

Each answers with a ``Check``: its name (one of ``products.RULE_CODES``: the reason code of a
rejection when it fails), whether it holds, and why, in words a reviewer can give the member.
Where a rule's basis is the product's terms, the docstring names the term. Day counts follow the
product file: the first day of cover is day 0; a window's last day is still in time.
No database, no clock, no personal data in the words (dates and counts only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from casetypes.insurance.products import Product
from models.money import format_fen
from models.policy import Document


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    detail: str


def cover_until(start: date, months: int) -> date:
    """The last day of cover of an enrolment that starts on ``start`` for ``months`` months: the
    day before the same date ``months`` later (31 January + 1 month → 28 or 29 February)."""
    return start + relativedelta(months=months) - timedelta(days=1)


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day`` (a birthday on 29 February is reached on 1 March in other years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def day_of_cover(start: date, event: date) -> int:
    """Days from the first day of cover (day 0) to the event."""
    return (event - start).days


def covered(cover_from: date | None, cover_to: date | None, event: date) -> Check:
    """Enrolled and covered on the event date (the product's cover period, from the enrolment)."""
    if cover_from is None or cover_to is None:
        return Check("not_enrolled", False, "the member is not enrolled in the product for the event date")
    ok = cover_from <= event <= cover_to
    return Check("not_enrolled", ok, f"cover {cover_from.isoformat()} to {cover_to.isoformat()}, event on "
                                     f"{event.isoformat()}" + ("" if ok else ": outside the cover"))


def age_allowed(birth: date, cover_from: date, product: Product) -> Check:
    """Aged ``ages.min`` to ``ages.max`` inclusive on the first day of cover (the terms' ages)."""
    age = age_on(birth, cover_from)
    ok = product.ages.min <= age <= product.ages.max
    return Check("age", ok, f"aged {age} when cover started; the product takes {product.ages.min} to {product.ages.max}")


def past_waiting(day: int, product: Product) -> Check:
    """Not in the waiting period: nothing is paid for an event on days 0 to ``waiting_days − 1``."""
    ok = day >= product.waiting_days
    return Check("waiting_period", ok, f"event on day {day} of cover; the waiting period is the first "
                                       f"{product.waiting_days} days")


def notified_in_time(event: date, notified_on: date, product: Product) -> Check:
    """Notified within ``notify_within_days`` of the event (the terms' notification window, e.g. 10
    days of diagnosis); the last day is in time. A notification before the event is refused as input."""
    late = (notified_on - event).days
    ok = late <= product.notify_within_days
    return Check("late_notice", ok, f"notified {late} days after the event; the window is "
                                    f"{product.notify_within_days} days")


def claimed_in_time(event: date, received_on: date, product: Product) -> Check:
    """Claimed within ``claim_within_days`` of the event (the terms' claim deadline); the last day is in time."""
    days = (received_on - event).days
    ok = days <= product.claim_within_days
    return Check("late_claim", ok, f"claimed {days} days after the event; the deadline is "
                                   f"{product.claim_within_days} days")


def not_duplicate(earlier: list[str]) -> Check:
    """No other claim, not rejected or withdrawn, for the same member, product and event date."""
    return Check("duplicate", not earlier, "no other claim for this event" if not earlier else
                 f"claim {', '.join(earlier)} is for the same event")


def cover_not_ended(product: Product, paid_before: list[str]) -> Check:
    """Cover not ended: a product whose terms end cover after a payout (``ends_after_payout``) pays
    once per enrolment; ``paid_before`` are the enrolment's claims approved or paid already."""
    if not product.ends_after_payout:
        return Check("cover_ended", True, "the terms do not end cover after a payout")
    ok = not paid_before
    return Check("cover_ended", ok, "no earlier payout on this enrolment" if ok else
                 f"cover ended with the payout of {', '.join(paid_before)}")


def cap_remaining(product: Product, paid_this_year_fen: int) -> Check:
    """Something left of the yearly cap (``yearly_cap_yuan``) for the event's year."""
    if product.yearly_cap_fen is None:
        return Check("cap_exhausted", True, "the terms set no yearly cap")
    left = product.yearly_cap_fen - paid_this_year_fen
    return Check("cap_exhausted", left > 0, f"{format_fen(max(left, 0))} left of the yearly cap of "
                                            f"{format_fen(product.yearly_cap_fen)}")


def pays_something(amount_fen: int) -> Check:
    """The calculation under the terms comes to more than nothing."""
    return Check("no_benefit", amount_fen > 0, f"the terms pay {format_fen(amount_fen)} for this claim")


def missing_documents(product: Product, received: set[str]) -> list[Document]:
    """The documents the product requires that are not yet received, in the product's order."""
    return [d for d in product.documents if d.value not in received]
