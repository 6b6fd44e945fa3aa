"""The mutual-insurance claim (互助保障给付申请) as staff fill it in: the Prefect run form,
``unionaid intake insurance FILE`` (JSON, or CSV for many, e.g. a hospital's monthly settlement
list) and each CSV row validate against this one model.

The diagnosis and the invoice details are sensitive personal data: checked by the model (not by
the form's JSON schema, whose refusals the Prefect server would echo), stored encrypted, and gone
from the run's parameters once the claim is stored. Errors name the field, never the value.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.errors import InputError
from models.identifiers import normalize_bank_card
from models.intake import PlainText, Sensitive, Yuan, holds_nul, named_choices, parse_form
from models.plan import INSURANCE_PRODUCTS
from models.policy import DOCUMENT_NAMES, Document

ProductCode = Literal["supplementary_medical", "accidental_injury", "women_major_illness", "major_illness"]
assert set(ProductCode.__args__) == set(INSURANCE_PRODUCTS)  # type: ignore[attr-defined]


class Beneficiary(BaseModel):
    """受益人 Whom the benefit is paid to, where the product pays a named beneficiary (e.g. on the
    member's death)."""

    model_config = ConfigDict(extra="forbid", title="Beneficiary 受益人", hide_input_in_errors=True)

    name: Annotated[str, Sensitive] = Field(title="Name 姓名", min_length=1, max_length=100)
    relation: str = Field(title="Relation to the member 与会员关系", min_length=1, max_length=20)
    bank_card: Annotated[str, Sensitive] = Field(title="Bank card 银行卡号", description="checked, stored encrypted")

    @field_validator("bank_card")
    @classmethod
    def _valid_card(cls, value: str) -> str:
        try:
            return normalize_bank_card(value)
        except InputError as exc:
            raise ValueError(exc.problem_detail.problem) from None


class InsuranceClaimForm(BaseModel):
    """互助保障给付申请 Mutual-insurance claim."""

    model_config = ConfigDict(extra="forbid", title="Mutual-insurance claim 互助保障给付申请", hide_input_in_errors=True)

    caseworker: str = Field(title="Received by (staff number) 经办人工号", min_length=1, max_length=32)
    member_number: str = Field(title="Member number 会员编号", min_length=1, max_length=32)
    product: ProductCode = Field(title="Product 保障项目", description=named_choices(INSURANCE_PRODUCTS))
    event_date: date = Field(title="Event date 出险日期", description="the day of the diagnosis, the accident or the "
                                                                    "admission to hospital")
    notified_on: date | None = Field(None, title="Notified on 报案日期",
                                     description="the day the union was told; empty: the day received")
    received_on: date | None = Field(None, title="Received on 收件日期", description="empty: today")
    benefit: Annotated[str | None, PlainText] = Field("", title="Benefit 给付项目", max_length=40,
                                                      description="the fixed sum asked for (e.g. major_illness, "
                                                                  "early_cancer, death, disability); empty for a stay "
                                                                  "or expenses only")
    hospital_days: int = Field(0, title="Days in hospital 住院天数", ge=0, le=3660)
    expenses_yuan: Yuan | None = Field(None, title="Eligible expenses (yuan) 自付合规费用(元)",
                                       description="what the member paid after social insurance, by the invoices")
    claimed_yuan: Yuan = Field(title="Amount claimed (yuan) 申请金额(元)")
    diagnosis: Annotated[str, Sensitive] = Field(title="Diagnosis 诊断", min_length=2, max_length=400,
                                                 description="sensitive: stored encrypted, never shown in the UI")
    invoices: Annotated[str | None, Sensitive] = Field("", title="Invoices 票据明细", max_length=2000,
                                                       description="invoice numbers and amounts; stored encrypted")
    documents: list[Document] = Field(default_factory=list, title="Documents received 已收材料",
                                      description=named_choices(DOCUMENT_NAMES))
    beneficiary: Beneficiary | None = Field(None, title="Beneficiary 受益人",
                                            description="where the product pays a named beneficiary")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if holds_nul(value):
                    raise ValueError(f"{name}: contains a NUL character")
        return data

    @model_validator(mode="after")
    def _dates(self) -> InsuranceClaimForm:
        if self.notified_on is not None and self.notified_on < self.event_date:
            raise ValueError("notified_on: is before the event date")
        if self.received_on is not None and self.received_on < self.event_date:
            raise ValueError("received_on: is before the event date")
        if self.received_on is not None and self.notified_on is not None and self.notified_on > self.received_on:
            raise ValueError("notified_on: is after the day the claim was received")
        return self


def parse_claim(data: Any, row: int | None = None) -> InsuranceClaimForm:
    return parse_form(InsuranceClaimForm, data, row)


def claim_schema() -> dict[str, Any]:
    return InsuranceClaimForm.model_json_schema()
