"""Verification of a hardship-aid application (困难职工帮扶): one named, pure function per rule.

Each rule takes plain data (the dataclasses below) and one ``PolicyVersion`` and returns a
``RuleResult``; ``evaluate`` runs them all and records the version it used. The caller picks the
version in force on the day the application was received (``HardshipPolicy.version_on``) and
stores its id with the decision, so a later policy never changes a decision already made.

Arithmetic, exactly (integer fen, no floats anywhere):

- per-capita monthly income = the members' monthly incomes added up, ``// number of members``:
  rounded down to the whole fen. The figure compared is the figure a person works out and sees;
  rounding down never pushes a household over a line by a fraction of a fen it does not have.
- an income threshold = the 低保 line in fen × the tier's multiple, kept exact (a ``Fraction``,
  e.g. 1.5 × an odd number of fen), never rounded.
- the comparison is the one the policy names (``less_than`` <, ``at_most`` <=, ``more_than`` >,
  ``at_least`` >=); the sample says deep: < 1×, relative: < 2×, accident: <= 3×, spending: > 80%,
  months below the line: > 6, migrant employment: >= 12 months.
- household income per year = the monthly total × 12; the hardship-spending test compares
  spending with income × percent / 100, exactly.
- "the year" of no double aid and of the yearly household cap is the calendar year of the
  application date; ``PriorAid`` lists the household's aid approved or paid (not refused).

Reasons state the policy's figures and whether they are met; never the household's own income,
causes or other personal data, because reports and Prefect artifacts show them (PIPL).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar, cast

from models.errors import InputError
from models.money import format_fen
from models.policy import FIXED_AMOUNT_CATEGORIES, Category, Cause, Comparison, PolicyVersion, StudentLevel, Tier

PER_CAPITA_INCOME = "per_capita_income"
MONTHS_BELOW_LINE = "months_below_line"
RIGID_CAUSE = "rigid_cause"
HARDSHIP_SPENDING = "hardship_spending"
SUDDEN_EVENT = "sudden_event"
ACCIDENT_HARDSHIP = "accident_hardship"
TIER_ELIGIBILITY = "tier_eligibility"
MIGRANT_WORKER_EMPLOYMENT = "migrant_worker_employment"
EXCLUSION_HOMES = "exclusion_homes"
EXCLUSION_PRIVATE_SCHOOL = "exclusion_private_school"
CATEGORY_CAP = "category_cap"
NO_DOUBLE_AID = "no_double_aid"
HOUSEHOLD_YEARLY_CAP = "household_yearly_cap"
REQUIRED_DOCUMENTS = "required_documents"
HARDSHIP_REGISTER = "hardship_register"

MONTHS_PER_YEAR = 12

_E = TypeVar("_E", bound=StrEnum)


def _count(value: object, name: str) -> None:
    """Amounts in fen and counts: whole numbers, not negative (bools and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(name, "must be a whole number (amounts in fen)")
    if value < 0:
        raise InputError(name, "must not be negative")


def _member(kind: type[_E], value: object, name: str) -> _E:
    try:
        # Enum lookup by value takes any object (anything not a value raises ValueError); typeshed types
        # StrEnum's constructor as taking a str only.
        return kind(cast(str, value))
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InputError(name, f"must be one of: {allowed}") from None


# --- the data the rules read -------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdIncome:
    """One person of the household and the monthly income counted for them."""

    monthly_income_fen: int

    def __post_init__(self) -> None:
        _count(self.monthly_income_fen, "monthly_income_fen")


@dataclass(frozen=True)
class SchoolFees:
    """A child at a private school: its yearly fees and the public-school rate for the same level."""

    private_fen_per_year: int
    public_rate_fen_per_year: int

    def __post_init__(self) -> None:
        _count(self.private_fen_per_year, "school_fees.private_fen_per_year")
        _count(self.public_rate_fen_per_year, "school_fees.public_rate_fen_per_year")


@dataclass(frozen=True)
class Household:
    members: Sequence[HouseholdIncome]
    months_below_line: int = 0
    hardship_spending_fen_per_year: int = 0
    homes_owned: int = 0
    registered_hardship_file: bool = False  # 建档, in our register on the application date: the higher student-aid amounts
    declared_yearly_income_fen: int | None = None  # last year's household income, when the form gives it
    school_fees: SchoolFees | None = None

    def __post_init__(self) -> None:
        if not self.members:
            raise InputError("household.members", "must list at least one person")
        _count(self.months_below_line, "household.months_below_line")
        _count(self.hardship_spending_fen_per_year, "household.hardship_spending_fen_per_year")
        _count(self.homes_owned, "household.homes_owned")
        if self.declared_yearly_income_fen is not None:
            _count(self.declared_yearly_income_fen, "household.declared_yearly_income_fen")

    @property
    def monthly_income_fen(self) -> int:
        return sum(member.monthly_income_fen for member in self.members)

    @property
    def yearly_income_fen(self) -> int:
        """Last year's household income as declared, else the monthly incomes × 12."""
        if self.declared_yearly_income_fen is not None:
            return self.declared_yearly_income_fen
        return self.monthly_income_fen * MONTHS_PER_YEAR

    @property
    def per_capita_income_fen(self) -> int:
        """Monthly, rounded down to the whole fen."""
        return self.monthly_income_fen // len(self.members)


@dataclass(frozen=True)
class Application:
    category: Category
    tier_claimed: Tier
    requested_fen: int
    applied_on: date  # the day received: it decides the policy version and "the year"
    causes: Collection[Cause] = frozenset()
    documents: Collection[str] = frozenset()  # document kinds held, e.g. "income_proof"
    student_level: StudentLevel | None = None  # student aid only
    student_levels: tuple[StudentLevel, ...] = ()  # student aid for several students: each one's level
    migrant_worker: bool = False
    months_employed_in_district: int = 0
    sudden_event: Cause | None = None  # the kind of a sudden event, recorded apart from the causes, with its date

    def __post_init__(self) -> None:
        # Plain strings (from a form or a table) become the enums, or an InputError naming the field.
        object.__setattr__(self, "category", _member(Category, self.category, "category"))
        object.__setattr__(self, "tier_claimed", _member(Tier, self.tier_claimed, "tier_claimed"))
        object.__setattr__(self, "causes", frozenset(_member(Cause, c, "causes") for c in self.causes))
        object.__setattr__(self, "documents", frozenset(self.documents))
        if self.student_level is not None:
            object.__setattr__(self, "student_level", _member(StudentLevel, self.student_level, "student_level"))
        object.__setattr__(self, "student_levels",
                           tuple(_member(StudentLevel, level, "students.level") for level in self.student_levels))
        if self.sudden_event is not None:
            object.__setattr__(self, "sudden_event", _member(Cause, self.sudden_event, "sudden_event.kind"))
        _count(self.requested_fen, "requested_fen")
        if self.requested_fen == 0:
            raise InputError("requested_fen", "must be more than zero")
        _count(self.months_employed_in_district, "months_employed_in_district")

    @property
    def year(self) -> int:
        return self.applied_on.year


@dataclass(frozen=True)
class PriorAid:
    """Aid the same household was approved or paid earlier."""

    category: Category
    amount_fen: int
    year: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "category", _member(Category, self.category, "prior_aid.category"))
        _count(self.amount_fen, "prior_aid.amount_fen")


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    reason: str  # plain English, no personal data


# --- helpers -----------------------------------------------------------------------------------


def _money(amount: int | Fraction) -> str:
    exact = Fraction(amount)
    if exact.denominator == 1:
        return format_fen(exact.numerator)
    yuan = Decimal(exact.numerator) / Decimal(exact.denominator) / 100
    return f"about ¥{yuan:,.4f}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _income_threshold(policy: PolicyVersion, multiple: Decimal) -> Fraction:
    return Fraction(policy.subsistence_line_monthly_fen) * Fraction(multiple)


def _causes_text(causes: Collection[Cause]) -> str:
    names = [cause.value.replace("_", " ") for cause in causes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _not(passed: bool) -> str:
    return "" if passed else "not "


# --- tier rules --------------------------------------------------------------------------------


def check_per_capita_income(household: Household, tier: Tier, policy: PolicyVersion) -> RuleResult:
    """Per-capita monthly income against the tier's multiple of the 低保 line, as the policy compares."""
    rule = getattr(policy.tiers, tier.value)
    threshold = _income_threshold(policy, rule.income_line_multiple)
    comparison: Comparison = rule.income_comparison
    passed = comparison.holds(household.per_capita_income_fen, threshold)
    return RuleResult(
        PER_CAPITA_INCOME,
        passed,
        f"per-capita monthly income is {_not(passed)}{comparison.words} {_money(threshold)}, "
        f"{_number(rule.income_line_multiple)} × the 低保 line of {_money(policy.subsistence_line_monthly_fen)} "
        f"({tier.value} tier)",
    )


def check_months_below_line(household: Household, policy: PolicyVersion) -> RuleResult:
    """Deep tier: income has been below the line for long enough."""
    rule = policy.tiers.deep
    passed = rule.months_comparison.holds(household.months_below_line, rule.months_below_line)
    return RuleResult(
        MONTHS_BELOW_LINE,
        passed,
        f"income has {_not(passed)}been below the line for {rule.months_comparison.words} "
        f"{rule.months_below_line} months, as the deep tier needs",
    )


def check_rigid_cause(application: Application, policy: PolicyVersion) -> RuleResult:
    """Relative tier: at least one rigid cause the policy lists. The reason does not say which
    one, since causes such as illness are sensitive."""
    accepted = policy.tiers.relative.rigid_causes
    passed = any(cause in accepted for cause in application.causes)
    found = "a rigid cause is recorded" if passed else "no rigid cause is recorded"
    return RuleResult(RIGID_CAUSE, passed, f"{found}; the relative tier needs one of: {_causes_text(accepted)}")


def check_hardship_spending(household: Household, policy: PolicyVersion) -> RuleResult:
    """Accident tier, first path: hardship spending against a share of yearly household income."""
    rule = policy.tiers.accident
    share = Fraction(household.yearly_income_fen) * Fraction(rule.spending_share_percent) / 100
    passed = rule.spending_comparison.holds(household.hardship_spending_fen_per_year, share)
    return RuleResult(
        HARDSHIP_SPENDING,
        passed,
        f"hardship spending in the year is {_not(passed)}{rule.spending_comparison.words} "
        f"{_number(rule.spending_share_percent)}% of household income",
    )


def check_sudden_event(application: Application, policy: PolicyVersion) -> RuleResult:
    """Accident tier, second path: a sudden event of a kind the policy lists (the causes do not
    count: an event is recorded apart, with its date)."""
    accepted = policy.tiers.accident.sudden_events
    passed = application.sudden_event is not None and application.sudden_event in accepted
    found = "a sudden event is recorded" if passed else "no sudden event is recorded"
    return RuleResult(SUDDEN_EVENT, passed, f"{found}; the accident tier accepts: {_causes_text(accepted)}")


def check_accident_hardship(household: Household, application: Application, policy: PolicyVersion) -> RuleResult:
    """Accident tier: hardship spending above the share, OR income within the limit with a sudden event."""
    spending = check_hardship_spending(household, policy)
    income = check_per_capita_income(household, Tier.accident, policy)
    event = check_sudden_event(application, policy)
    if spending.passed:
        return RuleResult(ACCIDENT_HARDSHIP, True, spending.reason)
    if income.passed and event.passed:
        return RuleResult(ACCIDENT_HARDSHIP, True, f"{income.reason}, and {event.reason}")
    second = income if not income.passed else event
    return RuleResult(ACCIDENT_HARDSHIP, False, f"neither path is met: {spending.reason}; and {second.reason}")


def tier_rules(household: Household, application: Application, policy: PolicyVersion) -> list[RuleResult]:
    """The rules of the tier claimed, one result each."""
    tier = application.tier_claimed
    if tier is Tier.deep:
        return [check_per_capita_income(household, tier, policy), check_months_below_line(household, policy)]
    if tier is Tier.relative:
        return [check_per_capita_income(household, tier, policy), check_rigid_cause(application, policy)]
    return [check_accident_hardship(household, application, policy)]


def check_tier_eligibility(household: Household, application: Application, policy: PolicyVersion) -> RuleResult:
    """The tier claimed, as one answer: every rule of that tier passes."""
    results = tier_rules(household, application, policy)
    failed = [result for result in results if not result.passed]
    tier = application.tier_claimed.value
    if not failed:
        return RuleResult(TIER_ELIGIBILITY, True, f"meets the {tier} tier: " + "; ".join(r.reason for r in results))
    return RuleResult(TIER_ELIGIBILITY, False, f"does not meet the {tier} tier: " + "; ".join(r.reason for r in failed))


# --- who may apply -----------------------------------------------------------------------------


def check_migrant_worker_employment(application: Application, policy: PolicyVersion) -> RuleResult:
    """Migrant workers need enough months of employment in the district; others pass."""
    needed = policy.migrant_workers.min_months_employed_in_district
    if not application.migrant_worker:
        return RuleResult(MIGRANT_WORKER_EMPLOYMENT, True, "not a migrant worker; the employment rule does not apply")
    passed = application.months_employed_in_district >= needed
    return RuleResult(
        MIGRANT_WORKER_EMPLOYMENT,
        passed,
        f"migrant worker {'with' if passed else 'without'} at least {needed} months of employment in the district",
    )


def check_homes_owned(household: Household, policy: PolicyVersion) -> RuleResult:
    """Exclusion: a household owning this many homes or more."""
    limit = policy.exclusions.homes_at_least
    if household.homes_owned >= limit:
        return RuleResult(EXCLUSION_HOMES, False, f"the household owns {limit} or more homes, which excludes it")
    return RuleResult(EXCLUSION_HOMES, True, f"the household owns fewer than {limit} homes")


def check_private_school_fees(household: Household, policy: PolicyVersion) -> RuleResult:
    """Exclusion: private-school fees above a multiple of the public rate for the same level."""
    multiple = policy.exclusions.private_school_fees_above_public_multiple
    fees = household.school_fees
    if fees is None:
        return RuleResult(EXCLUSION_PRIVATE_SCHOOL, True, "no private-school fees recorded")
    limit = Fraction(fees.public_rate_fen_per_year) * Fraction(multiple)
    excluded = fees.private_fen_per_year > limit
    return RuleResult(
        EXCLUSION_PRIVATE_SCHOOL,
        not excluded,
        f"private-school fees are {'' if excluded else 'not '}above {_number(multiple)} × the public-school rate",
    )


def check_hardship_register(household: Household) -> RuleResult:
    """Whether the household is in the hardship register (建档) on the application date. The
    register alone decides, never a tick on the form, so this rule never fails: it says which
    amounts apply (student aid pays more to a registered household)."""
    if household.registered_hardship_file:
        return RuleResult(HARDSHIP_REGISTER, True, "the household is in the hardship register")
    return RuleResult(HARDSHIP_REGISTER, True, "the household is not in the hardship register on the application "
                                               "date; the amounts for other households apply")


# --- amounts -----------------------------------------------------------------------------------


def category_cap_fen(household: Household, application: Application, policy: PolicyVersion) -> int | None:
    """The most this application may ask for; None when student aid lacks the student's level.

    Student aid depends on the level and on a registered hardship file; the seasonal campaigns
    on the tier claimed (verified by the tier rules in the same report)."""
    categories = policy.categories
    category = application.category
    if category in FIXED_AMOUNT_CATEGORIES:
        return categories.fixed_amount_fen(category, tier=application.tier_claimed, level=application.student_level,
                                           registered=household.registered_hardship_file,
                                           levels=application.student_levels)
    capped = {
        Category.living_relief: categories.living_relief,
        Category.medical_relief: categories.medical_relief,
        Category.emergency_relief: categories.emergency_relief,
    }[category]
    return capped.cap_fen


def fixed_amount_fen(household: Household, application: Application, policy: PolicyVersion) -> int | None:
    """What a fixed-amount category pays (``FIXED_AMOUNT_CATEGORIES``: student aid by level and
    register, seasonal relief by tier); None for a category paid what is asked, up to its cap."""
    if application.category not in FIXED_AMOUNT_CATEGORIES:
        return None
    return category_cap_fen(household, application, policy)


def check_category_cap(household: Household, application: Application, policy: PolicyVersion) -> RuleResult:
    """The amount requested is at most the category's cap: exactly the cap passes. A fixed-amount
    category is paid exactly its amount, never less or more."""
    cap = category_cap_fen(household, application, policy)
    category = application.category.value
    if cap is None:
        levels = " or ".join(level.value for level in StudentLevel)
        return RuleResult(CATEGORY_CAP, False, f"student aid needs each student's level ({levels}), one the policy "
                                               "version sets an amount for")
    if application.category in FIXED_AMOUNT_CATEGORIES:
        exact = application.requested_fen == cap
        return RuleResult(CATEGORY_CAP, exact, f"the amount is {'' if exact else 'not '}the {category} amount the "
                                               f"policy sets, {_money(cap)}")
    passed = application.requested_fen <= cap
    return RuleResult(
        CATEGORY_CAP,
        passed,
        f"the amount requested is {'within' if passed else 'above'} the {category} cap of {_money(cap)}",
    )


def check_no_double_aid(application: Application, prior_aid: Sequence[PriorAid]) -> RuleResult:
    """No double aid in a year: the same household, the same category, the same calendar year."""
    category, year = application.category, application.year
    repeated = any(aid.category == category and aid.year == year for aid in prior_aid)
    if repeated:
        return RuleResult(
            NO_DOUBLE_AID, False, f"the household already received {category.value} in {year}; no double aid in a year"
        )
    return RuleResult(NO_DOUBLE_AID, True, f"no {category.value} given to the household in {year} so far")


def check_household_yearly_cap(
    application: Application, prior_aid: Sequence[PriorAid], policy: PolicyVersion
) -> RuleResult:
    """All categories together stay within the household's yearly cap: exactly the cap passes."""
    cap = policy.household.yearly_cap_fen
    given = sum(aid.amount_fen for aid in prior_aid if aid.year == application.year)
    room = max(cap - given, 0)
    passed = given + application.requested_fen <= cap
    return RuleResult(
        HOUSEHOLD_YEARLY_CAP,
        passed,
        f"with this request the household's aid in {application.year} is {'within' if passed else 'above'} "
        f"the yearly cap of {_money(cap)}; at most {_money(room)} more may be granted this year",
    )


# --- documents ---------------------------------------------------------------------------------


def missing_documents(application: Application, policy: PolicyVersion) -> tuple[str, ...]:
    """Required document kinds not yet held, in the policy's order."""
    held = set(application.documents)
    return tuple(kind for kind in policy.documents.required_for(application.category) if kind not in held)


def check_documents(application: Application, policy: PolicyVersion) -> RuleResult:
    missing = missing_documents(application, policy)
    if missing:
        return RuleResult(REQUIRED_DOCUMENTS, False, "missing: " + ", ".join(missing))
    return RuleResult(REQUIRED_DOCUMENTS, True, f"every document {application.category.value} requires is held")


# --- all of it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationReport:
    """What verification found, under which policy version. Holds no personal data."""

    policy_version: str
    policy_fingerprint: str
    category: Category
    tier_claimed: Tier
    results: tuple[RuleResult, ...]
    missing_documents: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def failed(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.results if not result.passed)

    def to_markdown(self, case_number: str) -> str:
        """A table for people (a Prefect artifact, a case note), headed by the case number: nothing
        of the applicant, not even part of their ID."""
        outcome = "passed" if self.passed else f"failed ({len(self.failed)} of {len(self.results)} rules)"
        lines = [
            f"### Hardship verification: {_cell(case_number)}",
            "",
            f"- Policy version: {_cell(self.policy_version)} (fingerprint {self.policy_fingerprint})",
            f"- Category: {self.category.value}; tier claimed: {self.tier_claimed.value}",
            f"- Outcome: **{outcome}**",
            f"- Missing documents: {', '.join(self.missing_documents) or 'none'}",
            "",
            "| rule | result | reason |",
            "| --- | --- | --- |",
        ]
        for result in self.results:
            mark = "passed" if result.passed else "**failed**"
            lines.append(f"| {result.rule} | {mark} | {_cell(result.reason)} |")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def evaluate(
    household: Household, application: Application, prior_aid: Sequence[PriorAid], policy: PolicyVersion
) -> VerificationReport:
    """Run every rule under one policy version and record which.

    ``policy`` must be in force on ``application.applied_on``: pass
    ``HardshipPolicy.version_on(application.applied_on)``, or the version recorded with an
    earlier decision. A version that starts after the application date is refused."""
    if application.applied_on < policy.effective_from or (
        policy.effective_until is not None and application.applied_on > policy.effective_until
    ):
        raise InputError("policy_version", f"version {policy.version} is not in force on the application date")
    results = (
        *tier_rules(household, application, policy),
        check_migrant_worker_employment(application, policy),
        check_homes_owned(household, policy),
        check_private_school_fees(household, policy),
        check_hardship_register(household),
        check_category_cap(household, application, policy),
        check_no_double_aid(application, prior_aid),
        check_household_yearly_cap(application, prior_aid, policy),
        check_documents(application, policy),
    )
    return VerificationReport(
        policy_version=policy.version,
        policy_fingerprint=policy.fingerprint(),
        category=application.category,
        tier_claimed=application.tier_claimed,
        results=results,
        missing_documents=missing_documents(application, policy),
    )
