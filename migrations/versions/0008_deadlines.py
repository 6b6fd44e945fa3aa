"""deadlines: one clock of one case, its last day, how it was computed and its state

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("state", sa.Enum("open", "met", "breached", name="deadlinestate", native_enum=False,
                                   create_constraint=False, length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "kind", name="uq_deadline_case_kind"),
    )
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
    op.create_index("ix_deadline_due_on", "deadline", ["due_on"])
    op.create_index("ix_deadline_state", "deadline", ["state"])


def downgrade() -> None:
    op.drop_table("deadline")
