"""The mediation application (劳动争议调解申请) as staff fill it in: the Prefect run form,
``unionaid intake mediation FILE`` (JSON, or CSV for many) and each CSV row validate against
this one model. Mediation is open to every worker: a member number is recorded when there is one.

Field titles carry Chinese and English; errors name the field and the rule, never the value.
After intake the run carries the case number only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumInvalid

from casetypes.mediation.rules import (
    CLAIM_NAMES,
    DISPUTE_NAMES,
    RELATIONSHIP_NAMES,
    ClaimKind,
    DisputeType,
    Relationship,
    Tribunal,
)
from models.errors import InputError
from models.identifiers import normalize_bank_card, parse_resident_id
from models.intake import OralRecord, PlainText, Sensitive, Yuan, holds_nul, named_choices, parse_form
from models.money import parse_yuan
from services.masking import mask_text


class Worker(BaseModel):
    """劳动者 The worker who applies."""

    model_config = ConfigDict(extra="forbid", title="Worker 劳动者", hide_input_in_errors=True)

    name: Annotated[str, Sensitive] = Field(title="Name 姓名", min_length=1, max_length=100)
    resident_id: Annotated[str, Sensitive] = Field(title="Resident ID 身份证号",
                                                   description="validated; stored encrypted, printed on the "
                                                               "agreement only")
    # Optional text shown as a plain text box (empty: none), not as a str/None toggle.
    member_number: Annotated[str | None, PlainText] = Field("", title="Member number 会员编号", max_length=32,
                                                            description="when the worker is a union member; else "
                                                                        "leave empty")
    bank_card: Annotated[str | None, Sensitive] = Field("", title="Bank card 银行卡号",
                                                        description="for a union wage advance to a worker who is not "
                                                                    "a member; checked, stored encrypted")

    @field_validator("resident_id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        try:
            return parse_resident_id(value).number
        except InputError as exc:
            raise ValueError(exc.problem_detail.problem) from None

    @field_validator("bank_card")
    @classmethod
    def _valid_card(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalize_bank_card(value)
        except InputError as exc:
            raise ValueError(exc.problem_detail.problem) from None


class EmployerParty(BaseModel):
    """用人单位 The employer."""

    model_config = ConfigDict(extra="forbid", title="Employer 用人单位", hide_input_in_errors=True)

    name: str = Field(title="Name 单位名称", min_length=2, max_length=200)
    uscc: str = Field(title="Unified social credit code 统一社会信用代码", min_length=18, max_length=18,
                      description="18 characters, checked")
    address: str = Field(title="Address 地址", min_length=2, max_length=200)
    district: str = Field(title="District code 所在区划代码", pattern=r"^[0-9]{6}$",
                          description="6-digit GB/T 2260 code of the district the employer is in")

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str) -> str:
        try:
            return str(uscc.validate(value))
        except StdnumInvalid:
            raise ValueError("is not a valid unified social credit code (18 characters with a check "
                             "character)") from None


class Claim(BaseModel):
    """请求事项 One thing the worker claims, with its amount where it has one."""

    model_config = ConfigDict(extra="forbid", title="Claim 请求事项", hide_input_in_errors=True)

    kind: ClaimKind = Field(title="Kind 类别", description=named_choices(CLAIM_NAMES))
    amount_yuan: Yuan | None = Field(None, title="Amount (yuan) 金额(元)", description="where the claim has one")
    description: Annotated[str, Sensitive] = Field("", title="Details 说明", max_length=500)


class MediationApplication(BaseModel):
    """劳动争议调解申请 Labour-dispute mediation application."""

    model_config = ConfigDict(extra="forbid", title="Mediation application 劳动争议调解申请", hide_input_in_errors=True)

    caseworker: str = Field(title="Received by (staff number) 接收人工号", min_length=1, max_length=32)
    worker: Worker = Field(title="Worker 劳动者")
    employer: EmployerParty = Field(title="Employer 用人单位")
    relationship: Relationship = Field(Relationship.employment, title="Relationship 用工关系",
                                       description=named_choices(RELATIONSHIP_NAMES))
    dispute_type: DisputeType = Field(title="Dispute type 争议类型", description=named_choices(DISPUTE_NAMES))
    claims: list[Claim] = Field(title="Claims 请求事项", min_length=1, max_length=20)
    matter: Annotated[str, Sensitive] = Field(title="Facts and reasons 事实和理由", min_length=2, max_length=4000)
    knew_on: date = Field(title="Knew of the infringement on 知道或应当知道权利被侵害之日")
    employed_from: date = Field(title="Employed from 入职日期")
    employed_until: date | None = Field(None, title="Employed until 离职日期", description="empty: still employed")
    still_employed: bool = Field(False, title="Still employed 仍在职")
    worker_consents: bool = Field(title="The worker consents to mediation 劳动者同意调解")
    before_tribunal: Tribunal = Field(Tribunal.none, title="Already before 已进入的程序",
                                      description="none 无, arbitration 已申请仲裁, court 已起诉")
    oral_application: bool = Field(False, title="Oral application 口头申请")
    oral_record: OralRecord | None = Field(None, title="Record of the oral application 口头申请笔录",
                                           description="art. 12: applicant, matter, reasons, time, recorded on "
                                                       "the spot")
    received_on: date | None = Field(None, title="Received on 收到申请日期", description="default: today (Asia/Shanghai)")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if holds_nul(value):
                    raise ValueError(f"{name}: contains a NUL character")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> MediationApplication:
        if self.oral_application and self.oral_record is None:
            raise ValueError("oral_record: an oral application is recorded on the spot (art. 12): applicant, "
                             "matter, reasons, time, who recorded it, and the applicant's confirmation")
        if self.oral_record is not None and not self.oral_application:
            raise ValueError("oral_application: tick it when the application was made orally and recorded")
        if self.still_employed and self.employed_until is not None:
            raise ValueError("employed_until: leave it empty when the worker is still employed")
        if not self.still_employed and self.employed_until is None:
            raise ValueError("employed_until: give the day the employment ended, or tick still_employed")
        if self.employed_until is not None and self.employed_until < self.employed_from:
            raise ValueError("employed_until: is before employed_from")
        if self.knew_on < self.employed_from:
            raise ValueError("knew_on: is before the employment started")
        for position, claim in enumerate(self.claims):
            if claim.amount_yuan is not None and claim.amount_yuan <= 0:
                raise ValueError(f"claims.{position}.amount_yuan: must be more than zero, or left empty")
        return self


def parse_mediation(data: Any, row: int | None = None) -> MediationApplication:
    return parse_form(MediationApplication, data, row)


def mediation_schema() -> dict[str, Any]:
    return MediationApplication.model_json_schema()


class Payment(BaseModel):
    """One amount the employer pays under the agreement, by its day (an instalment, or the whole)."""

    model_config = ConfigDict(extra="forbid", title="Payment 给付事项", hide_input_in_errors=True)

    kind: ClaimKind = Field(title="For 款项类别", description=named_choices(CLAIM_NAMES))
    amount_yuan: Yuan = Field(title="Amount (yuan) 金额(元)")
    due_on: date = Field(title="Due on 给付期限")


class AgreementTerms(BaseModel):
    """调解协议 The terms of a mediation agreement: what the employer pays and by when, what the
    worker waives, and any other obligation."""

    model_config = ConfigDict(extra="forbid", title="Agreement terms 调解协议条款", hide_input_in_errors=True)

    payments: list[Payment] = Field(default_factory=list, title="Payments 给付", max_length=24)
    waived: list[Annotated[str, Field(min_length=2, max_length=300)]] = Field(
        default_factory=list, title="Claims waived 放弃的请求", max_length=20)
    other: list[Annotated[str, Field(min_length=2, max_length=500)]] = Field(
        default_factory=list, title="Other obligations 其他约定", max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if holds_nul(data):
            raise ValueError("terms: contain a NUL character")
        return data

    @model_validator(mode="after")
    def _something(self) -> AgreementTerms:
        if not (self.payments or self.waived or self.other):
            raise ValueError("payments: the agreement states at least one payment, waived claim or obligation")
        for position, payment in enumerate(self.payments):
            if payment.amount_yuan <= 0:
                raise ValueError(f"payments.{position}.amount_yuan: must be more than zero")
        days = [p.due_on for p in self.payments]
        if days != sorted(days):
            raise ValueError("payments: list the payments in the order they fall due")
        return self

    def stored(self) -> dict[str, Any]:
        """The terms as the agreement row keeps them: amounts in fen, free text masked."""
        return {"payments": [{"kind": p.kind.value, "amount_fen": parse_yuan(p.amount_yuan, f"payments.{i}.amount_yuan"),
                              "due_on": p.due_on.isoformat()} for i, p in enumerate(self.payments)],
                "waived": [mask_text(w.strip()) for w in self.waived],
                "other": [mask_text(o.strip()) for o in self.other]}


def parse_terms(data: Any) -> AgreementTerms:
    return parse_form(AgreementTerms, data)
