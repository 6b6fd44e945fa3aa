"""The yearly plan (年度工作计划): the targets the monthly report measures, read from a TOML file staff edit.

Shape of the file (the shipped sample is ``config/plan/2026-sample.toml``)::

    year = 2026                       the plan year
    title = "..."                     optional, shown on the report
    [[targets]]                       one block per target, shown in this order
    key = "students_funded"           lower_snake_case, unique in the file
    title = { zh = "...", en = "..." }
    target = 54                       a whole number, or "unknown" when the figure is not known
    unit = "students"                 what is counted
    measure = "students_funded"       how the actual is measured (see MEASURES)
    note = "..."                      optional

Rules kept here:

- A target is a whole number of at least zero, or the word ``"unknown"`` (held as ``None``).
  An unknown target is never treated as zero: the report shows the actual without a share.
- ``measure`` names a measure from ``MEASURES``; ``insurance_covered`` takes the product after a
  colon (``insurance_covered:major_illness``). A misspelt measure is refused here, so a typo never
  shows up as "no data" in the report. Whether a measure *has* data is not decided here: the
  report answers "no data" for every measure whose data source does not exist yet.
- Unknown keys are refused everywhere; every problem is an ``InputError`` naming the key path,
  with targets named by their key: ``targets[students_funded].target: must be ...``.

Pure: no settings, no database; the caller passes the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, field_validator

from models.config_files import KeyProblem, read_toml, validate

UNKNOWN_TARGET = "unknown"

MEASURES: dict[str, str] = {
    "students_funded": "paid student-aid (金秋助学) hardship cases in the plan year",
    "pairings": "assistance pairings (帮扶结对) made in the plan year",
    "trained": "members trained for employment in the plan year",
    "reemployed": "members re-employed in the plan year",
    "insurance_covered": "members covered by a mutual-insurance product (insurance_covered:<product>)",
}
"""Every measure a plan may name, with what it counts. Which of them have data is the report's business."""

INSURANCE_PRODUCTS: dict[str, str] = {
    "supplementary_medical": "医疗补充保障 / 住院医疗互助",
    "accidental_injury": "意外伤害",
    "major_illness": "重大疾病",
    "women_major_illness": "女职工特殊疾病",
}
"""Mutual-insurance products named in the plan, as ``insurance_covered:<product>`` takes them."""

MEASURE_ARGUMENTS: dict[str, dict[str, str]] = {"insurance_covered": INSURANCE_PRODUCTS}
"""Measures that need an argument after the colon, and the arguments they accept."""


def _target_number(value: object) -> int | None:
    if value == UNKNOWN_TARGET:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f'must be a whole number of at least 0, or "{UNKNOWN_TARGET}" when the figure is not known')
    return value


def _measure(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text, e.g. \"students_funded\" or \"insurance_covered:major_illness\"")
    name, _, argument = value.partition(":")
    if name not in MEASURES:
        raise ValueError(f"{name!r} is not a known measure; known: {', '.join(MEASURES)}")
    accepted = MEASURE_ARGUMENTS.get(name)
    if accepted is None:
        if argument or ":" in value:
            raise ValueError(f"{name} takes nothing after a colon")
        return value
    if argument not in accepted:
        raise ValueError(f"{name} needs a product after a colon, one of: {', '.join(accepted)}")
    return value


TargetNumber = Annotated[int | None, BeforeValidator(_target_number)]
Measure = Annotated[str, BeforeValidator(_measure)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_PlanModel):
    zh: Text
    en: Text


class Target(_PlanModel):
    """One target of the plan and how its actual is measured."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    title: Title
    target: TargetNumber
    unit: Annotated[str, Field(min_length=1, max_length=40)]
    measure: Measure
    note: Annotated[str, Field(max_length=400)] = ""

    @property
    def measure_name(self) -> str:
        return self.measure.partition(":")[0]

    @property
    def measure_argument(self) -> str | None:
        return self.measure.partition(":")[2] or None

    @property
    def known(self) -> bool:
        return self.target is not None


class Plan(_PlanModel):
    """A year's plan: its targets, in the order the report shows them."""

    year: Annotated[StrictInt, Field(ge=2000, le=2100)]
    title: Annotated[str, Field(max_length=200)] = ""
    targets: tuple[Target, ...]

    @field_validator("targets")
    @classmethod
    def _keys_unique(cls, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        if not targets:
            raise ValueError("must list at least one target ([[targets]])")
        seen: dict[str, int] = {}
        for position, target in enumerate(targets):
            if target.key in seen:
                raise KeyProblem((position, "key"), f"is the key of target #{seen[target.key] + 1} too (this is "
                                                     f"#{position + 1}); give each target its own key")
            seen[target.key] = position
        return targets

    def target(self, key: str) -> Target:
        for candidate in self.targets:
            if candidate.key == key:
                return candidate
        raise KeyError(key)


def load_plan(path: str | Path) -> Plan:
    """Read and check a plan file. Every problem is an ``InputError`` (``ValidationFailed`` when the
    content is wrong, one ``FieldProblem`` per key), never a traceback."""
    return parse_plan(read_toml(path, "plan file"))


def parse_plan(raw: dict[str, Any]) -> Plan:
    """A plan from already-parsed TOML (a dict); the same checks and messages as ``load_plan``."""
    return validate(Plan, raw, what="plan file", list_key="targets", id_field="key", specific=_specific_problem)


def _specific_problem(error: dict[str, Any], loc: tuple[str | int, ...]) -> str | None:
    if error["type"] == "string_pattern_mismatch":
        return "must be lower_snake_case: a small letter, then small letters, digits or _"
    if error["type"] in ("int_type", "int_parsing"):
        return "must be a whole number without quotes"
    if error["type"] in ("greater_than_equal", "less_than_equal") and loc == ("year",):
        return "must be a year between 2000 and 2100"
    return None
