"""Labour-dispute mediation (劳动争议调解): its tables. The rules, the form and the steps are the
case type's package (``casetypes/mediation``).

- ``employer``: the employers the federation knows, by unified social credit code, with the
  grassroots union (基层工会) they have, if any: a case is routed to that union's mediation
  station, or to the district committee.
- ``mediation_detail``: one per case. The worker's name and resident ID are stored encrypted
  (the ID also as a keyed hash, to find earlier cases); they are printed only on the agreement
  itself. Free text (the disputed matter, a decline reason) is masked and encrypted like a
  hardship reason.
- ``mediation_session``: each session held: when, who attended, what was said, the next step.
- ``agreement_payment``: each amount the employer owes the worker under an effective agreement,
  by its day, and what has been paid (tracked, not paid by us: the union's own money is a wage
  advance, an obligation of its own).
- ``wage_advance``: a union wage advance, a case of its own linked to its mediation case.
- ``mediation_agreement``: the agreement's terms (amounts owed with their due dates, claims waived,
  other obligations) and its four marks of effect (art. 14): the worker's and the employer's
  signature or seal, the mediator's signature, the mediation body's seal.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import timestamp_field as _ts


class Employer(SQLModel, table=True):
    __tablename__ = "employer"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(unique=True, index=True, max_length=18)
    name: str = Field(max_length=200)
    district_code: str = Field(max_length=6)
    union_unit_id: int | None = Field(default=None, foreign_key="unit.id")


class MediationDetail(SQLModel, table=True):
    __tablename__ = "mediation_detail"
    __table_args__ = (CheckConstraint("extended_days >= 0", name="ck_mediation_extension_nonneg"),)

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    worker_name: str = Field(sa_type=Text)  # encrypted
    worker_id_hash: str = Field(max_length=64, index=True)
    worker_id: str = Field(sa_type=Text)  # encrypted: printed on the agreement only
    worker_member_id: int | None = Field(default=None, foreign_key="member.id")
    # The worker's bank card, when given, for a union wage advance (encrypted; masked for display).
    worker_bank_account_enc: str | None = Field(default=None, sa_type=Text)
    worker_bank_account_masked: str | None = Field(default=None, max_length=32)
    employer_uscc: str = Field(max_length=18, index=True)
    employer_name: str = Field(max_length=200)
    employer_address: str = Field(max_length=200)
    employer_district: str = Field(max_length=6)
    relationship: str = Field(max_length=20)
    dispute_type: str = Field(max_length=30)
    # [{"kind", "amount_fen" (or null), "description" (masked)}]
    claims: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    knew_on: date
    employed_from: date
    employed_until: date | None = None  # None: still employed
    worker_consent: bool = False
    employer_consent: bool | None = None  # recorded at acceptance
    before_tribunal: str = Field(default="none", max_length=20)  # none / arbitration / court
    received_on: date
    matter: str = Field(sa_type=Text)  # encrypted
    oral_application: bool = False
    oral_record: str | None = Field(default=None, sa_type=Text)  # encrypted JSON
    mediator_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    decision_reason: str | None = Field(default=None, sa_type=Text)  # encrypted: why declined or failed
    extended_days: int = 0
    legal_aid_requested: bool = False
    ended_on: date | None = None  # the day mediation ended: agreement, failure or the clock
    policy_version: str = Field(default="", max_length=40)


class MediationSession(SQLModel, table=True):
    __tablename__ = "mediation_session"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_mediation_session_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    seq: int
    held_on: date
    attendees: str = Field(sa_type=Text)  # encrypted: names
    summary: str = Field(sa_type=Text)  # encrypted
    next_step: str = Field(max_length=200)  # masked
    recorded_by_staff_id: int = Field(foreign_key="staff.id")
    recorded_at: datetime = _ts()


class MediationAgreement(SQLModel, table=True):
    __tablename__ = "mediation_agreement"

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    # {"payments": [{"purpose", "amount_fen", "due_on", "kind"}], "waived": [..], "other": [..]}
    terms: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    drafted_by_staff_id: int = Field(foreign_key="staff.id")
    drafted_at: datetime = _ts()
    worker_signed_on: date | None = None
    employer_signed_on: date | None = None
    mediator_signed_on: date | None = None
    mediator_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    seal_recorded_on: date | None = None
    seal_recorded_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")


class AgreementPayment(SQLModel, table=True):
    __tablename__ = "agreement_payment"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_agreement_payment_seq"),
        CheckConstraint("amount_fen > 0", name="ck_agreement_payment_positive"),
        CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="ck_agreement_payment_within"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    seq: int
    kind: str = Field(max_length=30)
    amount_fen: int
    due_on: date
    paid_fen: int = 0
    paid_on: date | None = None  # the day it was paid in full


class WageAdvance(SQLModel, table=True):
    """A union wage advance (工资垫付): a case of its own, linked to its mediation case; the
    employer repays it by ``repay_by``, or an approver writes the rest off (reason encrypted)."""

    __tablename__ = "wage_advance"

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    mediation_case_id: int = Field(foreign_key="case.id", index=True)
    repay_by: date
    employer_uscc: str = Field(max_length=18)
    written_off_reason: str | None = Field(default=None, sa_type=Text)
