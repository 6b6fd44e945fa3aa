"""mutual insurance: enrolments (with their pool), claims (the diagnosis and invoices encrypted,
the calculation's explanation, the review's seed and draw) and claims batches; the first schema's
claim table, never written to, is dropped

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _ts() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("insurance_claim_detail")
    op.create_table(
        "insurance_enrolment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("product", _text(40), nullable=False),
        sa.Column("product_version", _text(40), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("cover_from", sa.Date(), nullable=False),
        sa.Column("cover_to", sa.Date(), nullable=False),
        sa.Column("group_unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=False),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("programme.id"), nullable=False),
        sa.Column("contribution_fen", sa.Integer(), nullable=False),
        sa.Column("source_fingerprint", _text(64), nullable=False),
        sa.Column("enrolled_by", _text(32), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint("member_id", "product", "cover_from", name="uq_enrolment_member_product_start"),
        sa.CheckConstraint("shares >= 1", name="ck_enrolment_shares"),
        sa.CheckConstraint("contribution_fen > 0", name="ck_enrolment_contribution"),
        sa.CheckConstraint("cover_to >= cover_from", name="ck_enrolment_period"),
    )
    op.create_index("ix_insurance_enrolment_member_id", "insurance_enrolment", ["member_id"])
    op.create_index("ix_insurance_enrolment_product", "insurance_enrolment", ["product"])
    op.create_index("ix_insurance_enrolment_group_unit_id", "insurance_enrolment", ["group_unit_id"])
    op.create_table(
        "insurance_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", _text(60), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("submitted_by", _text(32), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.UniqueConstraint("fingerprint", name="uq_insurance_batch_fingerprint"),
        sa.UniqueConstraint("reference"),
    )
    op.create_table(
        "insurance_claim",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("enrolment_id", sa.Integer(), sa.ForeignKey("insurance_enrolment.id"), nullable=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("product", _text(40), nullable=False),
        sa.Column("product_version", _text(40), nullable=True),
        sa.Column("review_version", _text(40), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("benefit", _text(40), nullable=True),
        sa.Column("hospital_days", sa.Integer(), nullable=False),
        sa.Column("expenses_fen", sa.Integer(), nullable=False),
        sa.Column("claimed_fen", sa.Integer(), nullable=False),
        sa.Column("calculated_fen", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("diagnosis", sa.Text(), nullable=False),
        sa.Column("invoices", sa.Text(), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("beneficiary_name", sa.Text(), nullable=True),
        sa.Column("beneficiary_account_enc", sa.Text(), nullable=True),
        sa.Column("beneficiary_account_masked", _text(32), nullable=True),
        sa.Column("review", _text(20), nullable=True),
        sa.Column("review_seed", _text(64), nullable=False),
        sa.Column("review_draw", sa.Integer(), nullable=True),
        sa.Column("rejection_code", _text(40), nullable=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("insurance_batch.id"), nullable=True),
        sa.Column("batch_row", sa.Integer(), nullable=True),
        sa.CheckConstraint("claimed_fen >= 0", name="ck_claim_claimed_nonneg"),
        sa.CheckConstraint("hospital_days >= 0", name="ck_claim_days_nonneg"),
        sa.UniqueConstraint("batch_id", "batch_row", name="uq_insurance_claim_batch_row"),
    )
    for column in ("enrolment_id", "member_id", "product", "event_date", "batch_id"):
        op.create_index(f"ix_insurance_claim_{column}", "insurance_claim", [column])


def downgrade() -> None:
    op.drop_table("insurance_claim")
    op.drop_table("insurance_batch")
    op.drop_table("insurance_enrolment")
    op.create_table(
        "insurance_claim_detail",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("product", _text(40), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("diagnosis", _text(400), nullable=True),
        sa.Column("hospital_days", sa.Integer(), nullable=False),
    )
