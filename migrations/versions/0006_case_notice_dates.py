"""campaign cases carry their own public-notice dates (a case verified late gets a supplementary notice)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("notice_ends_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("notice_ended", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Cases listed so far were listed in their campaign's notice.
    op.execute("""
        UPDATE campaign_case SET
          notice_starts_on = (SELECT c.notice_starts_on FROM campaign c WHERE c.id = campaign_case.campaign_id),
          notice_ends_on = (SELECT c.notice_ends_on FROM campaign c WHERE c.id = campaign_case.campaign_id)
        WHERE listed_in_notice
    """)
    op.execute("""
        UPDATE campaign_case SET notice_ended = TRUE
        WHERE listed_in_notice AND campaign_id IN
          (SELECT id FROM campaign WHERE status IN ('approving', 'paying', 'done'))
    """)


def downgrade() -> None:
    with op.batch_alter_table("campaign_case", schema=None) as batch_op:
        batch_op.drop_column("notice_ended")
        batch_op.drop_column("notice_starts_on")
        batch_op.drop_column("notice_ends_on")
