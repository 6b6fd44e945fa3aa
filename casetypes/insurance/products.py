"""The mutual-insurance product file (``config/products/insurance-sample.toml``): each product's
terms, the review of claims and the approval thresholds, in versions by effective date.

Shape of the file::

    locality = "..."
    [[versions]]                          oldest first, each complete on its own
    version, effective_from               an id and the first day it is in force
    [versions.review]                     openIMIS-style review of claims
    [versions.approval]                   who may approve how much (as hardship's)
    [versions.rejections]                 reason codes and their words, shared by every product
    [versions.products.<code>]            a product's terms (see ``Product``)

Which version applies: a claim is paid under the **terms** of the version in force on the day its
enrolment's cover started (what the member joined under), and **reviewed and approved** under the
version in force on the day it was received. The claim records both ids, so a later version
never changes a claim already decided.

Rules kept: unknown keys are refused; amounts are yuan in the file and integer fen here; the
product codes are the plan's (``models.plan.INSURANCE_PRODUCTS``); a product pays by at least one
of a fixed sum, a daily rate or a reimbursement; the reduced window ends after the waiting
period; ages are whole years 0–120 with the minimum not above the maximum; every problem names
its key path. Pure: the caller passes the path.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from models.config_files import KeyProblem, read_toml, validate
from models.errors import InputError
from models.plan import INSURANCE_PRODUCTS
from models.policy import ApprovalThresholds, Day, Document, Fen

Days = Annotated[StrictInt, Field(ge=0, le=36_600)]
Percent = Annotated[StrictInt, Field(ge=0, le=100)]

# The rules' own reason codes (casetypes/insurance/rules.py): every version names their words.
RULE_CODES = ("not_enrolled", "age", "waiting_period", "late_notice", "late_claim", "duplicate",
              "cover_ended", "cap_exhausted", "no_benefit")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Beneficiary(StrEnum):
    member = "member"  # paid to the member's account on file
    named = "named"  # paid to the beneficiary the claim names (e.g. on the member's death)


class Ages(_Model):
    min: Annotated[StrictInt, Field(ge=0, le=120)]
    max: Annotated[StrictInt, Field(ge=0, le=120)]

    @model_validator(mode="after")
    def _ordered(self) -> Ages:
        if self.min > self.max:
            raise KeyProblem(("min",), "must not be more than max")
        return self


class Reduced(_Model):
    """A smaller, fixed benefit for an event in the days after the waiting period (the Beijing
    women's plan: 500 yuan for days 30–60)."""

    until_day: Days
    benefit_fen: Fen = Field(alias="benefit_yuan")


class PerDay(_Model):
    """A daily rate per share for days in hospital, up to a number of days per event."""

    rate_fen: Fen = Field(alias="rate_yuan")
    max_days: Annotated[StrictInt, Field(ge=1, le=3660)]


class Reimbursement(_Model):
    """A share of the eligible expenses after a deductible per event."""

    deductible_fen: Fen = Field(alias="deductible_yuan")
    ratio_percent: Annotated[StrictInt, Field(ge=1, le=100)]


class Product(_Model):
    """One product's terms in one version.

    Day counts: the cover's first day is day 0 of the cover, so ``waiting_days = 30`` pays nothing
    for an event on days 0–29 (the first 30 days) and the reduced benefit from day 30 to
    ``reduced.until_day`` inclusive. The notification window and the claim deadline count days from
    the event; the last day is still in time.
    """

    name: str = Field(min_length=1, max_length=80)
    cover_months: Annotated[StrictInt, Field(ge=1, le=120)]
    ages: Ages
    shares_max: Annotated[StrictInt, Field(ge=1, le=100)]
    contribution_per_share_fen: Fen = Field(alias="contribution_per_share_yuan")
    waiting_days: Days = 0
    reduced: Reduced | None = None
    fixed_fen: dict[str, Fen] = Field(default_factory=dict, alias="fixed_yuan")
    per_day: PerDay | None = None
    reimbursement: Reimbursement | None = None
    per_event_cap_fen: Fen | None = Field(None, alias="per_event_cap_yuan")
    yearly_cap_fen: Fen | None = Field(None, alias="yearly_cap_yuan")
    ends_after_payout: bool = False
    notify_within_days: Days
    claim_within_days: Days
    beneficiary: Beneficiary = Beneficiary.member
    documents: tuple[Document, ...]
    rejections: dict[str, str] = Field(default_factory=dict)

    @field_validator("fixed_fen", "rejections")
    @classmethod
    def _codes(cls, value: dict[str, object]) -> dict[str, object]:
        for code in value:
            if not (code.isascii() and code.replace("_", "").isalnum() and code[:1].isalpha() and len(code) <= 40):
                raise KeyProblem((code,), "must be a code of letters, digits and _ (at most 40)")
        return value

    @model_validator(mode="after")
    def _pays(self) -> Product:
        if not (self.fixed_fen or self.per_day or self.reimbursement):
            raise KeyProblem((), "pays nothing: give fixed_yuan, per_day or reimbursement")
        if self.reduced is not None and self.reduced.until_day < self.waiting_days:
            raise KeyProblem(("reduced", "until_day"), "must not be before the end of the waiting period (waiting_days)")
        if self.contribution_per_share_fen <= 0:
            raise KeyProblem(("contribution_per_share_yuan",), "must be more than zero")
        return self

    @property
    def benefits(self) -> tuple[str, ...]:
        """What a claim may ask for: one of the fixed sums, or none (a stay or expenses only)."""
        return tuple(self.fixed_fen)


class Review(_Model):
    """Claims calculated at most ``auto_approve_up_to`` are approved by the system, except a random
    ``sample_percent`` of them (drawn per claim from a seed stored with it); the others go to a
    reviewer."""

    auto_approve_up_to_fen: Fen = Field(alias="auto_approve_up_to_yuan")
    sample_percent: Percent = 5


class InsuranceVersion(_Model):
    version: str = Field(min_length=1, max_length=40)
    effective_from: Day
    review: Review
    approval: ApprovalThresholds
    rejections: dict[str, str]
    products: dict[str, Product]

    @field_validator("products")
    @classmethod
    def _known(cls, value: dict[str, Product]) -> dict[str, Product]:
        for code in value:
            if code not in INSURANCE_PRODUCTS:
                raise KeyProblem((code,), f"is not a product of the plan ({', '.join(INSURANCE_PRODUCTS)})")
        if not value:
            raise ValueError("name at least one product")
        return value

    @model_validator(mode="after")
    def _every_rule_worded(self) -> InsuranceVersion:
        missing = [code for code in RULE_CODES if code not in self.rejections]
        if missing:
            raise KeyProblem(("rejections",), f"must word every rule's code: {', '.join(missing)} missing")
        for code, product in self.products.items():
            clash = sorted(set(product.rejections) & set(self.rejections))
            if clash:
                raise KeyProblem(("products", code, "rejections"), f"repeats the shared codes {', '.join(clash)}")
        return self

    def product(self, code: str) -> Product:
        try:
            return self.products[code]
        except KeyError:
            raise InputError("product", f"is not a product offered under version {self.version}") from None

    def rejection_codes(self, product: str) -> dict[str, str]:
        """The reason codes a reviewer may give for a claim on ``product``: the shared ones and its own."""
        return {**self.rejections, **self.products[product].rejections}


class ProductFile(_Model):
    locality: str
    versions: tuple[InsuranceVersion, ...]

    @model_validator(mode="after")
    def _ordered(self) -> ProductFile:
        if not self.versions:
            raise KeyProblem(("versions",), "list at least one version")
        ids = [v.version for v in self.versions]
        if len(set(ids)) != len(ids):
            raise KeyProblem(("versions",), "two versions have the same id")
        starts = [v.effective_from for v in self.versions]
        if starts != sorted(set(starts)):
            raise KeyProblem(("versions",), "must be listed oldest first, each starting on a later day")
        return self

    def version_on(self, day: date, field: str = "event_date") -> InsuranceVersion:
        found = [v for v in self.versions if v.effective_from <= day]
        if not found:
            raise InputError(field, f"{day.isoformat()} falls before every version of the product file")
        return found[-1]

    def version(self, version_id: str) -> InsuranceVersion:
        for v in self.versions:
            if v.version == version_id:
                return v
        raise InputError("product_version", f"{version_id!r} is not a version of the product file")

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def load_products(path: str | Path) -> ProductFile:
    return validate(ProductFile, read_toml(path, "product file"), what="product file", list_key="versions",
                    id_field="version")
