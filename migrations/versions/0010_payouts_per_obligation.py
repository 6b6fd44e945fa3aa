"""payouts per obligation: a payout pays one outgoing obligation of a case, at most one live
payout per obligation (in place of one per case)

Every case paid before has its one obligation written here: an ``out`` to its applicant for the
approved amount, from its programme, settled when one of its payouts succeeded. Its payouts are
linked to it and keep their references (a case's first obligation is paid as ``<case>-P<n>``).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _backfill() -> None:
    """One obligation per case that has payouts (unless it has obligations already), and every
    payout linked to the case's first one."""
    conn = op.get_bind()
    now = sa.func.current_timestamp()
    cases = conn.execute(sa.text(
        "SELECT c.id, c.category, c.approved_fen, c.programme_id, m.member_number, "
        "       (SELECT COUNT(*) FROM payout p WHERE p.case_id = c.id AND p.status = 'succeeded') AS paid, "
        "       (SELECT MAX(p.amount_fen) FROM payout p WHERE p.case_id = c.id) AS amount "
        "FROM \"case\" c JOIN member m ON m.id = c.applicant_member_id "
        "WHERE EXISTS (SELECT 1 FROM payout p WHERE p.case_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM obligation o WHERE o.case_id = c.id) ORDER BY c.id")).all()
    obligation = sa.table("obligation", *(sa.column(name) for name in (
        "case_id", "seq", "direction", "party", "party_ref", "purpose", "programme_id", "amount_fen", "settled_fen",
        "state", "opened_at", "settled_at")))
    for case_id, category, approved_fen, programme_id, member_number, paid, amount in cases:
        owed = approved_fen or amount
        conn.execute(obligation.insert().values(
            case_id=case_id, seq=1, direction="out", party="member", party_ref=member_number, purpose=category[:60],
            programme_id=programme_id, amount_fen=owed, settled_fen=owed if paid else 0,
            state="settled" if paid else "open", opened_at=now, settled_at=now if paid else None))
    conn.execute(sa.text(
        "UPDATE payout SET obligation_id = (SELECT o.id FROM obligation o WHERE o.case_id = payout.case_id "
        "AND o.seq = 1)"))
    conn.execute(sa.text("UPDATE payout SET live_obligation_id = obligation_id WHERE live_case_id IS NOT NULL"))


def upgrade() -> None:
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("obligation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("live_obligation_id", sa.Integer(), nullable=True))
    _backfill()
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.alter_column("obligation_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key("fk_payout_obligation_id_obligation", "obligation", ["obligation_id"], ["id"])
        batch_op.create_foreign_key("fk_payout_live_obligation_id_obligation", "obligation",
                                    ["live_obligation_id"], ["id"])
        batch_op.create_index("ix_payout_obligation_id", ["obligation_id"], unique=False)
        batch_op.drop_constraint("uq_payout_case_attempt", type_="unique")
        batch_op.drop_constraint("uq_payout_one_live_per_case", type_="unique")
        batch_op.create_unique_constraint("uq_payout_obligation_attempt", ["obligation_id", "attempt"])
        batch_op.create_unique_constraint("uq_payout_one_live_per_obligation", ["live_obligation_id"])
        batch_op.drop_column("live_case_id")


def downgrade() -> None:
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live_case_id", sa.Integer(), nullable=True))
    op.execute("UPDATE payout SET live_case_id = case_id WHERE live_obligation_id IS NOT NULL")
    with op.batch_alter_table("payout", schema=None) as batch_op:
        batch_op.drop_constraint("uq_payout_one_live_per_obligation", type_="unique")
        batch_op.drop_constraint("uq_payout_obligation_attempt", type_="unique")
        batch_op.drop_index("ix_payout_obligation_id")
        batch_op.drop_constraint("fk_payout_live_obligation_id_obligation", type_="foreignkey")
        batch_op.drop_constraint("fk_payout_obligation_id_obligation", type_="foreignkey")
        batch_op.drop_column("live_obligation_id")
        batch_op.drop_column("obligation_id")
        batch_op.create_foreign_key("fk_payout_live_case_id_case", "case", ["live_case_id"], ["id"])
        batch_op.create_unique_constraint("uq_payout_case_attempt", ["case_id", "attempt"])
        batch_op.create_unique_constraint("uq_payout_one_live_per_case", ["live_case_id"])
