"""obligations: what a case owes or is owed (to whom, from which fund, by when), and the receipts
of what it is owed

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=40)


def upgrade() -> None:
    op.create_table(
        "obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("direction", _enum("direction", "out", "in"), nullable=False),
        sa.Column("party", _enum("party", "member", "beneficiary", "employer"), nullable=False),
        sa.Column("party_ref", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("settled_fen", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("state", _enum("obligationstate", "open", "settled", "cancelled"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name="ck_obligation_amount_positive"),
        sa.CheckConstraint("settled_fen >= 0 AND settled_fen <= amount_fen", name="ck_obligation_settled_within"),
        sa.CheckConstraint("seq >= 1", name="ck_obligation_seq_positive"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq", name="uq_obligation_case_seq"),
    )
    op.create_index("ix_obligation_case_id", "obligation", ["case_id"])
    op.create_index("ix_obligation_programme_id", "obligation", ["programme_id"])
    op.create_index("ix_obligation_due_on", "obligation", ["due_on"])
    op.create_index("ix_obligation_state", "obligation", ["state"])
    op.create_table(
        "obligation_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_receipt_amount_positive"),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index("ix_obligation_receipt_obligation_id", "obligation_receipt", ["obligation_id"])


def downgrade() -> None:
    op.drop_table("obligation_receipt")
    op.drop_table("obligation")
