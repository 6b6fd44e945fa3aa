"""The hardship-aid policy (困难职工帮扶): the numbers staff keep in a TOML file, checked and in fen.

Shape of the file (the shipped sample is ``config/policy/hardship-sample.toml``)::

    locality = "..."
    [[versions]]                      oldest first; every version is complete on its own
    version, effective_from           an id, and the first day it is in force
    effective_until                   optional last day in force; else until the next version starts
    subsistence_line_monthly_yuan     the local 低保 line, per person per month
    [versions.tiers.*]                deep / relative / accident: multiples of the line, comparisons
    [versions.categories.*]           caps and fixed amounts per aid category
    [versions.household]              yearly cap per household, across categories
    [versions.migrant_workers]        months of employment in the district
    [versions.exclusions]             homes owned; private-school fees against the public rate
    [versions.approval]               grassroots limit, district limit, two-approver threshold
    [versions.documents]              required document kinds per category
    [versions.public_notice]          公示 period in working days

Rules kept here:

- Amounts are yuan in the file and integer fen in these models (``models.money.parse_yuan``):
  fractions of a fen, negative amounts and true/false are refused.
- Unknown keys are refused everywhere, so a misspelt key never silently falls back to nothing.
- Versions are listed oldest first, with distinct ids and start dates, and never overlap. A
  decision records the version id (and its fingerprint) it was made under; a new version starts
  on its own date and never reaches back, so a change of policy never changes decisions made.
- ``load_policy`` turns every problem into an ``InputError`` naming the TOML key path, e.g.
  ``versions[2026.1].categories.living_relief.cap_yuan: must not be negative``. Items of a list
  are shown by position counting from one, ``rigid_causes[#2]``; versions by their id when
  they have one.

Pure: no settings, no database; the caller passes the path.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictInt,
    field_validator,
    model_validator,
)

from models.config_files import KeyProblem, read_toml, validate
from models.errors import InputError
from models.money import parse_yuan


class Tier(StrEnum):
    """Hardship tiers as the provinces apply the national file rules."""

    deep = "deep"  # 深度困难
    relative = "relative"  # 相对困难
    accident = "accident"  # 意外致困


class Category(StrEnum):
    living_relief = "living_relief"  # 生活救助
    medical_relief = "medical_relief"  # 医疗救助
    student_aid = "student_aid"  # 金秋助学
    winter_relief = "winter_relief"  # 冬送温暖
    summer_relief = "summer_relief"  # 夏送清凉
    emergency_relief = "emergency_relief"  # 临时救助


class Cause(StrEnum):
    """Causes of hardship (the relative tier's rigid causes are some of them) and the kinds of a
    sudden event (the accident tier's). An application gives its causes and, apart, a sudden event
    with its date; serious illness may be either."""

    serious_illness = "serious_illness"  # 因病
    schooling_costs = "schooling_costs"  # 因学
    disability = "disability"  # 因残
    single_parent = "single_parent"  # 单亲
    unemployment = "unemployment"  # 失业/下岗
    work_injury = "work_injury"  # 工伤
    accident = "accident"  # 意外事故 (a sudden event)
    disaster = "disaster"  # 灾害 (a sudden event)


#: Kinds that are only ever a sudden event, never a cause of their own: given with a date.
EVENT_ONLY = frozenset({Cause.accident, Cause.disaster})
CAUSE_NAMES = {Cause.serious_illness: "因病", Cause.schooling_costs: "因学", Cause.disability: "因残",
               Cause.single_parent: "单亲", Cause.unemployment: "失业/下岗", Cause.work_injury: "工伤",
               Cause.accident: "意外事故", Cause.disaster: "灾害"}
CATEGORY_NAMES = {"living_relief": "生活救助", "medical_relief": "医疗救助", "student_aid": "金秋助学",
                  "winter_relief": "冬送温暖", "summer_relief": "夏送清凉", "emergency_relief": "临时救助"}


class StudentLevel(StrEnum):
    university = "university"  # 大学
    senior_high = "senior_high"  # 高中
    vocational = "vocational"  # 中职 (secondary vocational school)


class Comparison(StrEnum):
    """How a figure is compared with a threshold; the policy names it, the code never guesses."""

    less_than = "less_than"  # <   (低于)
    at_most = "at_most"  # <=  (不高于, 以下)
    more_than = "more_than"  # >   (高于, 超过)
    at_least = "at_least"  # >=  (不低于, 以上)

    def holds(self, value: int | Fraction, threshold: int | Fraction) -> bool:
        if self is Comparison.less_than:
            return value < threshold
        if self is Comparison.at_most:
            return value <= threshold
        if self is Comparison.more_than:
            return value > threshold
        return value >= threshold

    @property
    def words(self) -> str:
        return {"less_than": "below", "at_most": "at most", "more_than": "more than", "at_least": "at least"}[
            self.value
        ]


# --- field types -------------------------------------------------------------------------------


def _yuan_to_fen(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an amount in yuan, e.g. 1200 or 1200.50")
    try:
        return parse_yuan(value, "amount")
    except InputError as exc:
        raise ValueError(exc.problem_detail.problem) from None


def _upper_bound(value: Comparison) -> Comparison:
    if value not in (Comparison.less_than, Comparison.at_most):
        raise ValueError("must be less_than or at_most (an income limit is an upper bound)")
    return value


def _lower_bound(value: Comparison) -> Comparison:
    if value not in (Comparison.more_than, Comparison.at_least):
        raise ValueError("must be more_than or at_least (this is a lower bound)")
    return value


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    seen: set[Any] = set()
    for position, value in enumerate(values):
        if value in seen:
            raise KeyProblem((position,), "is listed twice")
        seen.add(value)
    return values


Fen = Annotated[int, BeforeValidator(_yuan_to_fen)]
"""An amount written in yuan in the file, held as integer fen."""

Multiple = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
"""A multiple of the 低保 line, e.g. 1, 2 or 1.5; kept exact."""

UpperBound = Annotated[Comparison, AfterValidator(_upper_bound)]
LowerBound = Annotated[Comparison, AfterValidator(_lower_bound)]
Count = Annotated[StrictInt, Field(ge=0)]
Day = Annotated[date, Strict()]
class Document(StrEnum):
    """The document kinds a policy may require and a caseworker ticks as received (材料清单)."""

    application_form = "application_form"  # 申请表
    resident_id = "resident_id"  # 身份证
    membership_proof = "membership_proof"  # 会员证明
    household_register = "household_register"  # 户口簿
    income_proof = "income_proof"  # 收入证明
    diagnosis = "diagnosis"  # 诊断证明
    medical_invoices = "medical_invoices"  # 医疗费用票据
    admission_notice = "admission_notice"  # 录取通知书
    tuition_invoice = "tuition_invoice"  # 学费票据
    event_proof = "event_proof"  # 事件证明
    disability_certificate = "disability_certificate"  # 残疾证
    unemployment_proof = "unemployment_proof"  # 失业证明
    work_injury_certificate = "work_injury_certificate"  # 工伤认定书
    discharge_summary = "discharge_summary"  # 入出院记录
    pathology_report = "pathology_report"  # 病理报告
    accident_report = "accident_report"  # 意外事故证明


DOCUMENT_NAMES = {Document.application_form: "申请表", Document.resident_id: "身份证",
                  Document.membership_proof: "会员证明", Document.household_register: "户口簿",
                  Document.income_proof: "收入证明", Document.diagnosis: "诊断证明",
                  Document.medical_invoices: "医疗费用票据", Document.admission_notice: "录取通知书",
                  Document.tuition_invoice: "学费票据", Document.event_proof: "事件证明",
                  Document.disability_certificate: "残疾证", Document.unemployment_proof: "失业证明",
                  Document.work_injury_certificate: "工伤认定书", Document.discharge_summary: "入出院记录",
                  Document.pathology_report: "病理报告", Document.accident_report: "意外事故证明"}
DocumentKind = Document
DocumentList = Annotated[tuple[DocumentKind, ...], AfterValidator(_unique)]
CauseList = Annotated[tuple[Cause, ...], Field(min_length=1), AfterValidator(_unique)]


class _PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- tiers -------------------------------------------------------------------------------------


class DeepTier(_PolicyModel):
    """深度困难: per-capita income below the line, for more than a number of months."""

    income_line_multiple: Multiple
    income_comparison: UpperBound
    months_below_line: Count
    months_comparison: LowerBound


class RelativeTier(_PolicyModel):
    """相对困难: per-capita income below a multiple of the line, plus at least one rigid cause."""

    income_line_multiple: Multiple
    income_comparison: UpperBound
    rigid_causes: CauseList


class AccidentTier(_PolicyModel):
    """意外致困: hardship spending above a share of household income, or income up to a multiple
    of the line together with a sudden event."""

    spending_share_percent: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)]
    spending_comparison: LowerBound
    income_line_multiple: Multiple
    income_comparison: UpperBound
    sudden_events: CauseList


class Tiers(_PolicyModel):
    deep: DeepTier
    relative: RelativeTier
    accident: AccidentTier


# --- categories --------------------------------------------------------------------------------


class CappedCategory(_PolicyModel):
    """A category paid up to a cap per application."""

    cap_fen: Fen = Field(alias="cap_yuan")


class StudentAidAmounts(_PolicyModel):
    university_fen: Fen = Field(alias="university_yuan")
    senior_high_fen: Fen = Field(alias="senior_high_yuan")
    vocational_fen: Fen | None = Field(None, alias="vocational_yuan")  # none: the version pays no vocational student

    def for_level(self, level: StudentLevel) -> int | None:
        return {StudentLevel.university: self.university_fen, StudentLevel.senior_high: self.senior_high_fen,
                StudentLevel.vocational: self.vocational_fen}[level]


class StudentAid(_PolicyModel):
    """金秋助学: an amount per level, higher for families with a registered hardship file."""

    registered: StudentAidAmounts
    other: StudentAidAmounts

    def amount_fen(self, level: StudentLevel, registered: bool) -> int | None:
        return (self.registered if registered else self.other).for_level(level)


class TierAmounts(_PolicyModel):
    """A fixed amount per tier (the seasonal campaigns)."""

    deep_fen: Fen = Field(alias="deep_yuan")
    relative_fen: Fen = Field(alias="relative_yuan")
    accident_fen: Fen = Field(alias="accident_yuan")

    def for_tier(self, tier: Tier) -> int:
        return {Tier.deep: self.deep_fen, Tier.relative: self.relative_fen, Tier.accident: self.accident_fen}[tier]


#: Categories paid a fixed amount the policy sets (per student level, per tier): the caseworker
#: never types it. The others are paid what is asked, up to the category's cap.
FIXED_AMOUNT_CATEGORIES = frozenset({Category.student_aid, Category.winter_relief, Category.summer_relief})


class Categories(_PolicyModel):
    living_relief: CappedCategory
    medical_relief: CappedCategory
    student_aid: StudentAid
    winter_relief: TierAmounts
    summer_relief: TierAmounts
    emergency_relief: CappedCategory

    def fixed_amount_fen(self, category: Category, *, tier: Tier, level: StudentLevel | None,
                         registered: bool, levels: tuple[StudentLevel, ...] = ()) -> int | None:
        """What a fixed-amount category pays: student aid per student by level (``levels``, or the one
        ``level``) and whether the household is in the register, seasonal relief by tier. None for a
        capped category, for student aid without a level, or for a level the version pays nothing for."""
        if category is Category.student_aid:
            amounts = [self.student_aid.amount_fen(one, registered) for one in (levels or ((level,) if level else ()))]
            return sum(a for a in amounts if a is not None) if amounts and None not in amounts else None
        if category is Category.winter_relief:
            return self.winter_relief.for_tier(tier)
        if category is Category.summer_relief:
            return self.summer_relief.for_tier(tier)
        return None


# --- the rest of a version ---------------------------------------------------------------------


class HouseholdLimits(_PolicyModel):
    yearly_cap_fen: Fen = Field(alias="yearly_cap_yuan")


class MigrantWorkers(_PolicyModel):
    min_months_employed_in_district: Count


class PublicSchoolFees(_PolicyModel):
    """The public-school fee per year, per level: what private-school fees are compared with."""

    university_fen: Annotated[Fen, Field(gt=0)] = Field(alias="university_yuan")
    senior_high_fen: Annotated[Fen, Field(gt=0)] = Field(alias="senior_high_yuan")

    def for_level(self, level: StudentLevel) -> int:
        """A vocational school is compared with the senior-high fee (the same stage of schooling)."""
        return self.university_fen if level is StudentLevel.university else self.senior_high_fen


class Exclusions(_PolicyModel):
    homes_at_least: Annotated[StrictInt, Field(ge=1)]
    private_school_fees_above_public_multiple: Multiple
    public_school_fees: PublicSchoolFees = Field(alias="public_school_fees_per_year")


class ApprovalThresholds(_PolicyModel):
    grassroots_limit_fen: Fen = Field(alias="grassroots_limit_yuan")
    district_limit_fen: Fen = Field(alias="district_limit_yuan")
    two_approvers_above_fen: Fen = Field(alias="two_approvers_above_yuan")

    @model_validator(mode="after")
    def _grassroots_within_district(self) -> ApprovalThresholds:
        if self.grassroots_limit_fen > self.district_limit_fen:
            raise KeyProblem(("grassroots_limit_yuan",), "must not be more than district_limit_yuan")
        return self


class Documents(_PolicyModel):
    """Required document kinds per category (kinds are lower_snake_case names)."""

    living_relief: DocumentList
    medical_relief: DocumentList
    student_aid: DocumentList
    winter_relief: DocumentList
    summer_relief: DocumentList
    emergency_relief: DocumentList
    # A complete record of an oral application (recorded on the spot, confirmed by the applicant)
    # counts as this document; none: it never does, and the caseworker completes the form.
    oral_record_counts_as: DocumentKind | None = Document.application_form

    def required_for(self, category: Category) -> tuple[str, ...]:
        kinds: tuple[str, ...] = getattr(self, category.value)
        return kinds


#: The categories on public notice when a version does not name them: student aid (DOMAIN.md).
DEFAULT_NOTICE_CATEGORIES = (Category.student_aid,)


class PublicNotice(_PolicyModel):
    """公示 before approval: for how many working days, and for which categories. A case of such a
    category is approved only after its notice has ended, whichever way it came in (a campaign's
    batch or ordinary intake)."""

    working_days: Annotated[StrictInt, Field(ge=1)]
    categories: Annotated[tuple[Category, ...], AfterValidator(_unique)] = DEFAULT_NOTICE_CATEGORIES

    def needed_for(self, category: Category | str) -> bool:
        return Category(category) in self.categories


class PolicyVersion(_PolicyModel):
    """One complete version of the policy, in force from ``effective_from``."""

    version: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^\S+$")]
    effective_from: Day
    effective_until: Day | None = None
    subsistence_line_monthly_fen: Annotated[Fen, Field(gt=0)] = Field(alias="subsistence_line_monthly_yuan")
    tiers: Tiers
    categories: Categories
    household: HouseholdLimits
    migrant_workers: MigrantWorkers
    exclusions: Exclusions
    approval: ApprovalThresholds
    documents: Documents
    public_notice: PublicNotice

    @model_validator(mode="after")
    def _until_after_from(self) -> PolicyVersion:
        if self.effective_until is not None and self.effective_until < self.effective_from:
            raise KeyProblem(("effective_until",), "must not be before effective_from")
        return self

    def fingerprint(self) -> str:
        """A short digest of the version's content: record it beside the id, so that a version
        edited in place after decisions were made under it can be told apart."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


class HardshipPolicy(_PolicyModel):
    """A locality's hardship policy: its versions, oldest first."""

    locality: Annotated[str, Field(min_length=1, max_length=200)]
    versions: tuple[PolicyVersion, ...]

    @field_validator("versions")
    @classmethod
    def _ordered_without_overlap(cls, versions: tuple[PolicyVersion, ...]) -> tuple[PolicyVersion, ...]:
        if not versions:
            raise ValueError("must list at least one version ([[versions]])")
        ids: set[str] = set()
        for position, current in enumerate(versions):
            if current.version in ids:
                raise KeyProblem((position, "version"), "is used by an earlier version; give each version its own id")
            ids.add(current.version)
            if position == 0:
                continue
            previous = versions[position - 1]
            if current.effective_from <= previous.effective_from:
                raise KeyProblem(
                    (position, "effective_from"),
                    f"must be later than the previous version's effective_from ({previous.effective_from.isoformat()}); "
                    "list versions oldest first, one start date each",
                )
            if previous.effective_until is not None and previous.effective_until >= current.effective_from:
                raise KeyProblem(
                    (position, "effective_from"),
                    f"overlaps the previous version, in force until {previous.effective_until.isoformat()}",
                )
        return versions

    def version_on(self, day: date) -> PolicyVersion:
        """The version in force on ``day``: the latest to start on or before it, unless its
        ``effective_until`` has passed. Decide with the day the application was received."""
        in_force: PolicyVersion | None = None
        for candidate in self.versions:
            if candidate.effective_from <= day:
                in_force = candidate
        if in_force is None:
            raise InputError(
                "date",
                f"no hardship policy version is in force on {day.isoformat()}; "
                f"the earliest starts on {self.versions[0].effective_from.isoformat()}",
            )
        if in_force.effective_until is not None and in_force.effective_until < day:
            raise InputError(
                "date",
                f"no hardship policy version is in force on {day.isoformat()}; "
                f"version {in_force.version} ended on {in_force.effective_until.isoformat()}",
            )
        return in_force

    def version(self, version_id: str) -> PolicyVersion:
        """A version by its id: how a recorded decision is re-read under the policy it was made with."""
        for candidate in self.versions:
            if candidate.version == version_id:
                return candidate
        raise InputError("version", "no policy version has this id")


# --- loading -----------------------------------------------------------------------------------


def load_policy(path: str | Path) -> HardshipPolicy:
    """Read and check a policy file. Every problem is an ``InputError`` (``ValidationFailed``
    when the content is wrong, one ``FieldProblem`` per key), never a traceback."""
    return validate(HardshipPolicy, read_toml(path, "policy file"), what="policy file", list_key="versions",
                    id_field="version", specific=_specific_problem)


def _specific_problem(error: dict[str, Any], loc: tuple[str | int, ...]) -> str | None:
    if error["type"] == "greater_than":
        return f"must be more than {error['ctx']['gt']}"
    if error["type"] == "date_type":  # policy models are strict: a quoted or malformed date is this error
        return "must be a TOML date without quotes, e.g. 2026-01-01"
    return None
