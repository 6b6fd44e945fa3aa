"""free text encrypted: an application's reason and oral record, and an approver's reason, are
stored encrypted with UNIONAID_PII_ENCRYPTION_KEY (health details written in words cannot be
masked by pattern), in TEXT columns wide enough for the ciphertext; existing rows are encrypted
here. Downgrading decrypts them.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, key column, text columns)
_TEXTS = [("hardship_detail", "case_id", ("reason", "oral_record")), ("approval", "id", ("reason",))]
_LENGTHS = {"reason": 2000, "oral_record": 4000}


def _convert(change) -> None:
    conn = op.get_bind()
    for table, key, columns in _TEXTS:
        rows = conn.execute(sa.text(f"SELECT {key}, {', '.join(columns)} FROM {table}")).all()
        for row in rows:
            values = {c: (change(v) if v else v) for c, v in zip(columns, row[1:], strict=True)}
            conn.execute(sa.text(f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE {key} = :k"),
                         {**values, "k": row[0]})


def upgrade() -> None:
    from services import pii

    for table, _, columns in _TEXTS:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(_LENGTHS[column]))
    _convert(pii.encrypt)


def downgrade() -> None:
    from services import pii

    _convert(pii.decrypt)
    for table, _, columns in _TEXTS:
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.String(_LENGTHS[column]), existing_type=sa.Text())
