"""hardship intake facts and stored verification reports

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hardship_detail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "verification_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("policy_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("missing_documents", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verification_report", schema=None) as batch_op:
        batch_op.create_index("ix_verification_report_case_id", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("verification_report", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_report_case_id")
    op.drop_table("verification_report")
    with op.batch_alter_table("hardship_detail", schema=None) as batch_op:
        batch_op.drop_column("facts")
