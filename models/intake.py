"""The hardship application as staff fill it in: the Prefect run form, ``unionaid intake
hardship FILE.json`` and each CSV row all validate against this one model.

Field titles carry Chinese and English; errors name the field and the rule, never the value.
After intake the run carries the case number only; this form (with the resident ID) is stored
in our database and redacted from the run's parameters.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from models.errors import FieldProblem, InputError, ValidationFailed, field_path
from models.identifiers import parse_resident_id
from models.money import MAX_FEN
from models.policy import (
    CATEGORY_NAMES,
    CAUSE_NAMES,
    DOCUMENT_NAMES,
    EVENT_ONLY,
    FIXED_AMOUNT_CATEGORIES,
    Category,
    Cause,
    Document,
    StudentLevel,
    Tier,
)

F = TypeVar("F", bound=BaseModel)

YUAN_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"
# Shown to the run form as text with a pattern (a plain input box, not a number/text toggle);
# validated as an exact Decimal with at most two decimal places.
Yuan = Annotated[Decimal, Field(ge=0, le=Decimal(MAX_FEN) / 100, max_digits=12, decimal_places=2),
                 WithJsonSchema({"type": "string", "pattern": YUAN_PATTERN, "examples": ["1200.50"]})]


# Personal data or free text: its length is checked by the model, not by the form's JSON schema,
# because the Prefect server's own check of a run's parameters repeats the value it refuses.
Sensitive = WithJsonSchema({"type": "string"})
# Optional text the run form shows as a plain text box, left empty for none (not a str/None toggle).
PlainText = WithJsonSchema({"type": "string"})


class HouseholdPerson(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Household member 家庭成员", hide_input_in_errors=True)

    name: Annotated[str, Sensitive] = Field(title="Name 姓名", min_length=1, max_length=100)
    relation: Literal["self", "spouse", "child", "parent", "other"] = Field(
        title="Relation 关系", description="self 本人, spouse 配偶, child 子女, parent 父母, other 其他")
    monthly_income_yuan: Yuan = Field(title="Monthly income (yuan) 月收入(元)",
                                      description="all income of this person per month; 0 if none")
    resident_id: Annotated[str, Sensitive] | None = Field(None, title="Resident ID 身份证号",
                                                          description="validated; stored only as a keyed hash")
    birth_date: date | None = Field(None, title="Birth date 出生日期", description="if no ID number is given")
    disability: bool = Field(False, title="Disability 残疾")
    employment: Literal["employed", "unemployed", "laid_off", "retired", "student", "unable_to_work", "other"] | None = (
        Field(None, title="Employment 就业状况", description="employed 在职, unemployed 失业, laid_off 下岗, "
                                                            "retired 退休, student 在校学生, unable_to_work 无劳动能力, "
                                                            "other 其他"))

    @model_validator(mode="after")
    def _id_agrees(self) -> HouseholdPerson:
        if self.resident_id is not None:
            try:
                parsed = parse_resident_id(self.resident_id)
            except InputError as exc:
                raise ValueError(f"resident_id: {exc.problem_detail.problem}") from None
            if self.birth_date is not None and self.birth_date != parsed.birth_date:
                raise ValueError("birth_date: does not agree with the resident ID")
            self.resident_id = parsed.number
        return self


class Student(BaseModel):
    """学生 One student of the household the student aid is for."""

    model_config = ConfigDict(extra="forbid", title="Student 学生", hide_input_in_errors=True)

    name: Annotated[str, Sensitive] = Field(title="Name 姓名", min_length=1, max_length=100)
    school: Annotated[str, Sensitive] = Field(title="School 学校", min_length=2, max_length=100)
    grade: str = Field(title="Grade 年级", min_length=1, max_length=20, description="e.g. 大一, 高二")
    level: StudentLevel = Field(title="Level 学段", description="university 大学, senior_high 高中, vocational 中职")


class SuddenEvent(BaseModel):
    """突发事件 A sudden event (an accident, a disaster, a serious illness) and the day it happened."""

    model_config = ConfigDict(extra="forbid", title="Sudden event 突发事件", hide_input_in_errors=True)

    kind: Cause = Field(title="Kind 类型", description="accident 意外事故, disaster 灾害, serious_illness 重病")
    happened_on: date = Field(title="Happened on 发生日期")


def named_choices(pairs: dict[Any, str]) -> str:
    return ", ".join(f"{getattr(key, 'value', key)} {name}" for key, name in pairs.items())


class OralRecord(BaseModel):
    """口头申请记录 The record of an oral application, made on the spot: who applies, for what, why,
    when it was recorded and by whom, and that the applicant confirmed it when it was read back
    (signed or thumb-printed). Complete, it stands in for the written application form (the
    policy names the document kind it counts as)."""

    model_config = ConfigDict(extra="forbid", title="Oral application record 口头申请记录", hide_input_in_errors=True)

    applicant: Annotated[str, Sensitive] = Field(title="Applicant 申请人", min_length=2, max_length=100,
                                                 description="the applicant's name, as they gave it")
    matter: Annotated[str, Sensitive] = Field(title="What is applied for 申请事项", min_length=2, max_length=1000)
    reasons: Annotated[str, Sensitive] = Field(title="Reasons 事实和理由", min_length=2, max_length=2000)
    recorded_at: datetime = Field(title="Recorded at 记录时间", description="when the application was recorded")
    recorded_by: str = Field(title="Recorded by (staff number) 记录人工号", min_length=1, max_length=32)
    applicant_confirmed: bool = Field(title="Read back and confirmed by the applicant 经申请人确认",
                                      description="the record was read back to the applicant, who signed it")

    @model_validator(mode="after")
    def _stands(self) -> OralRecord:
        if not self.applicant_confirmed:
            raise ValueError("applicant_confirmed: read the record back to the applicant and have them "
                             "confirm it; an unconfirmed record does not stand")
        if self.recorded_at.tzinfo is None:
            raise ValueError("recorded_at: give the time with its offset, e.g. 2026-03-02T10:30:00+08:00")
        return self


class HardshipApplication(BaseModel):
    """困难职工帮扶申请 Hardship application."""

    model_config = ConfigDict(extra="forbid", title="Hardship application 困难职工帮扶申请", hide_input_in_errors=True)

    caseworker: str = Field(title="Caseworker staff number 经办人工号", min_length=1, max_length=32)
    applicant_member_number: str = Field(title="Applicant member number 会员编号", min_length=1, max_length=32)
    resident_id: Annotated[str, Sensitive] = Field(title="Applicant resident ID 身份证号",
                             description="checked against the member's registered ID; never shown again in clear",
                             min_length=15, max_length=18)
    category: Category = Field(title="Category 救助类别", description=named_choices(CATEGORY_NAMES))
    tier_claimed: Tier = Field(title="Hardship tier 困难类型", description="deep 深度困难, relative 相对困难, accident 意外致困")
    causes: list[Cause] = Field(default_factory=list, title="Causes 致困原因",
                                description=named_choices({c: n for c, n in CAUSE_NAMES.items() if c not in EVENT_ONLY}))
    sudden_event: SuddenEvent | None = Field(None, title="Sudden event 突发事件",
                                             description="for the accident tier: what happened and when")
    household: list[HouseholdPerson] = Field(title="Household 家庭成员及收入", min_length=1, max_length=20)
    household_number: str | None = Field(None, title="Household / file number 户号/档案号", max_length=32,
                                         description="the household's number in our records, if it has one")
    annual_household_income_yuan: Yuan | None = Field(
        None, title="Household income last year (yuan) 上年家庭总收入(元)",
        description="for the accident tier's spending test; default: the monthly incomes × 12")
    requested_amount_yuan: Yuan | None = Field(None, title="Requested amount (yuan) 申请金额(元)",
                                               description="leave empty for student aid, winter and summer relief: "
                                                           "the policy sets their amount")
    reason: Annotated[str, Sensitive] = Field(title="Reason 申请理由", min_length=2, max_length=2000)
    documents_provided: list[Document] = Field(default_factory=list, title="Documents provided 已提交材料",
                                               description="tick each received: " + named_choices(DOCUMENT_NAMES))
    oral_application: bool = Field(False, title="Oral application 口头申请")
    oral_record: OralRecord | None = Field(None, title="Record of the oral application 口头申请记录",
                                           description="for an oral application: what was recorded on the spot")
    applied_on: date | None = Field(None, title="Received on 受理日期", description="default: today (Asia/Shanghai)")
    months_below_line: int = Field(0, ge=0, le=600, title="Months below the 低保 line 低于低保月数")
    hardship_spending_yuan_per_year: Yuan = Field(Decimal(0), title="Hardship spending per year (yuan) 年刚性支出(元)")
    homes_owned: int = Field(0, ge=0, le=50, title="Homes owned 房产套数")
    migrant_worker: bool = Field(False, title="Migrant worker 农民工")
    months_employed_in_district: int = Field(0, ge=0, le=600, title="Months employed in the district 本区就业月数")
    student_level: StudentLevel | None = Field(None, title="Student level 学段",
                                               description="university 大学, senior_high 高中; for student aid, "
                                                           "and the level of a private school")
    students: list[Student] = Field(default_factory=list, title="Students 学生", max_length=10,
                                    description="student aid: each student of the household, with school and grade")
    private_school_fees_yuan_per_year: Yuan | None = Field(
        None, title="Private-school fees per year 民办学费(元/年)",
        description="compared with the policy's public-school fee for the student level")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        """A NUL character is no text (PostgreSQL refuses to store one): refused, by field. A form
        from before the register decided may still say whether the household is registered."""
        if isinstance(data, dict):
            if "registered_hardship_file" in data:
                raise ValueError("registered_hardship_file: leave it out: the hardship register decides "
                                 "(`unionaid households list`)")
            for name, value in data.items():
                if holds_nul(value):
                    raise ValueError(f"{name}: contains a NUL character")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> HardshipApplication:
        if self.oral_application and self.oral_record is None:
            raise ValueError("oral_record: an oral application is recorded on the spot: applicant, what is applied "
                             "for, reasons, time, who recorded it, and the applicant's confirmation")
        if self.oral_record is not None and not self.oral_application:
            raise ValueError("oral_application: tick it when the application was made orally and recorded")
        ids = [person.resident_id for person in self.household if person.resident_id]
        if len(ids) != len(set(ids)):
            raise ValueError("household: the same resident ID is given for two people")
        events = sorted(c.value for c in self.causes if c in EVENT_ONLY)
        if events:
            raise ValueError(f"causes: {', '.join(events)} is a sudden event, not a cause: give it as sudden_event, "
                             "with the day it happened")
        if self.students and self.category != Category.student_aid:
            raise ValueError("students: only for student aid")
        if self.students and self.student_level is not None:
            raise ValueError("student_level: give each student's level in students instead")
        if self.category == Category.student_aid and self.student_level is None and not self.students:
            raise ValueError("students: list the students the aid is for (name, school, grade, level)")
        if self.category in FIXED_AMOUNT_CATEGORIES:
            if self.requested_amount_yuan is not None:
                raise ValueError(f"requested_amount_yuan: leave it empty: {self.category.value} is paid the amount "
                                 "the policy sets")
        elif self.requested_amount_yuan is None:
            raise ValueError(f"requested_amount_yuan: is required for {self.category.value}")
        elif self.requested_amount_yuan <= 0:
            raise ValueError("requested_amount_yuan: must be more than zero")
        if self.private_school_fees_yuan_per_year is not None and self.student_level is None:
            raise ValueError("student_level: give the private school's level, to compare its fees with the "
                             "public-school fee")
        return self


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


def parse_application(data: Any, row: int | None = None) -> HardshipApplication:
    """Validate raw input; every problem named by field, none with the value that was given."""
    return parse_form(HardshipApplication, data, row)


def parse_form(model: type[F], data: Any, row: int | None = None) -> F:
    """Any form of any case type from raw input: every problem named by field (our own rules'
    messages start with the field they name), none with the value that was given."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            location = field_path(tuple(error["loc"])) or "application"
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "value_error" and ":" in message:  # our own rule, naming its field
                field, message = (part.strip() for part in message.split(":", 1))
                location = f"{location}.{field}" if error["loc"] else field
            problems.append(FieldProblem(location, message, row))
        raise ValidationFailed(problems) from None


def application_schema() -> dict[str, Any]:
    return HardshipApplication.model_json_schema()
