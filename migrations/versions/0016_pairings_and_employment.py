"""assistance pairings (帮扶结对) with their visits, and employment help (job referrals, training,
re-employment) per member: what the annual plan counts beyond aid paid

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _now() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "pairing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id"), nullable=False),
        sa.Column("helper_kind", sa.Enum("model_worker", "entrepreneur", "unit", "other", name="helperkind",
                                         native_enum=False, create_constraint=False, length=40), nullable=False),
        sa.Column("helper_name", sa.String(100), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("commitments", sa.Text(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(200), nullable=True),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        _now(),
    )
    op.create_index("ix_pairing_household_id", "pairing", ["household_id"])
    op.create_table(
        "pairing_visit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pairing_id", sa.Integer(), sa.ForeignKey("pairing.id"), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        _now(),
    )
    op.create_index("ix_pairing_visit_pairing_id", "pairing_visit", ["pairing_id"])
    op.create_table(
        "employment_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("kind", sa.Enum("referral", "training", "reemployed", name="employmentkind", native_enum=False,
                                  create_constraint=False, length=40), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(32), nullable=False),
        _now(),
        sa.UniqueConstraint("member_id", "kind", "happened_on", "detail", name="uq_employment_record"),
    )
    op.create_index("ix_employment_record_member_id", "employment_record", ["member_id"])


def downgrade() -> None:
    op.drop_table("employment_record")
    op.drop_table("pairing_visit")
    op.drop_table("pairing")
