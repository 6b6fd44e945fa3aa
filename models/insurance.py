"""Mutual insurance (职工互助保障): its tables. The product terms, the rules, the calculation and
the steps are the case type's package (``casetypes/insurance``).

- ``insurance_enrolment``: a member enrolled by their employer's union in a product for a cover
  period, with a number of shares and the contribution paid into the product's pool (the
  programme ``MI-<product>`` of the year cover starts). One row per member, product and start
  day: importing the same list again changes nothing.
- ``insurance_claim``: one per claim case. The diagnosis and the invoice details are sensitive
  (PIPL art. 28): stored encrypted, shown only by ``unionaid insurance show`` to staff who may see
  them. The amounts move claimed → calculated (with the explanation lines) → approved (on the case)
  → paid (its payout). The review records how the claim was routed (automatic, sampled, above the
  automatic limit) with the seed and draw of the sample, so an auditor can draw it again.
- ``insurance_batch``: a claims batch (a hospital's monthly settlement list) run in chunks by one
  flow run; each row of it is a claim case once taken.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.columns import timestamp_field as _ts


class InsuranceEnrolment(SQLModel, table=True):
    __tablename__ = "insurance_enrolment"
    __table_args__ = (UniqueConstraint("member_id", "product", "cover_from", name="uq_enrolment_member_product_start"),
                      CheckConstraint("shares >= 1", name="ck_enrolment_shares"),
                      CheckConstraint("contribution_fen > 0", name="ck_enrolment_contribution"),
                      CheckConstraint("cover_to >= cover_from", name="ck_enrolment_period"))

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    product: str = Field(max_length=40, index=True)
    product_version: str = Field(max_length=40)  # the terms the member joined under
    shares: int
    cover_from: date
    cover_to: date
    group_unit_id: int = Field(foreign_key="unit.id", index=True)  # the union that enrolled the member
    programme_id: int = Field(foreign_key="programme.id")  # the product's pool of the start year
    contribution_fen: int
    source_fingerprint: str = Field(max_length=64)
    enrolled_by: str = Field(max_length=32)
    created_at: datetime = _ts()


class InsuranceClaim(SQLModel, table=True):
    __tablename__ = "insurance_claim"
    __table_args__ = (CheckConstraint("claimed_fen >= 0", name="ck_claim_claimed_nonneg"),
                      CheckConstraint("hospital_days >= 0", name="ck_claim_days_nonneg"),
                      UniqueConstraint("batch_id", "batch_row", name="uq_insurance_claim_batch_row"))

    case_id: int = Field(primary_key=True, foreign_key="case.id")
    enrolment_id: int | None = Field(default=None, foreign_key="insurance_enrolment.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    product: str = Field(max_length=40, index=True)
    product_version: str | None = Field(default=None, max_length=40)  # the terms applied (the enrolment's)
    review_version: str = Field(max_length=40)  # the review and approval rules (the day received)
    event_date: date = Field(index=True)
    notified_on: date
    received_on: date
    benefit: str | None = Field(default=None, max_length=40)
    hospital_days: int = 0
    expenses_fen: int = 0
    claimed_fen: int
    calculated_fen: int | None = None
    explanation: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    diagnosis: str = Field(sa_type=Text)  # encrypted
    invoices: str | None = Field(default=None, sa_type=Text)  # encrypted: invoice numbers and amounts
    documents: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # kinds received
    beneficiary_name: str | None = Field(default=None, sa_type=Text)  # encrypted
    beneficiary_account_enc: str | None = Field(default=None, sa_type=Text)
    beneficiary_account_masked: str | None = Field(default=None, max_length=32)
    review: str | None = Field(default=None, max_length=20)  # automatic | sampled | above_limit
    review_seed: str = Field(max_length=64)
    review_draw: int | None = None  # 0-9999: sampled when below sample_percent × 100
    rejection_code: str | None = Field(default=None, max_length=40)
    batch_id: int | None = Field(default=None, foreign_key="insurance_batch.id", index=True)
    batch_row: int | None = None


class InsuranceBatch(SQLModel, table=True):
    __tablename__ = "insurance_batch"
    __table_args__ = (UniqueConstraint("fingerprint", name="uq_insurance_batch_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=60, unique=True)
    fingerprint: str = Field(max_length=64)  # of the file: the same list again is the same batch
    rows: int
    submitted_by: str = Field(max_length=32)
    created_at: datetime = _ts()
