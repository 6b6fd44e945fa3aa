"""payouts, the double-entry ledger (balanced and append-only by trigger), members' bank accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:10:36.544288
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('live_case_id', sa.Integer(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('payee_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('bank_account_enc', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('bank_account_masked', sqlmodel.sql.sqltypes.AutoString(length=19), nullable=False),
    sa.Column('status', sa.Enum('prepared', 'submitted', 'succeeded', 'failed', 'unknown', name='payoutstatus', native_enum=False, length=40), nullable=False),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('failure_reason', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
    sa.Column('send_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name='ck_payout_amount_positive'),
    sa.CheckConstraint('attempt >= 1', name='ck_payout_attempt_positive'),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['live_case_id'], ['case.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'attempt', name='uq_payout_case_attempt'),
    sa.UniqueConstraint('live_case_id', name='uq_payout_one_live_per_case')
    )
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_reference'), ['reference'], unique=True)
        batch_op.create_index(batch_op.f('ix_payout_status'), ['status'], unique=False)

    op.create_table('ledger_posting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('sealed', sa.Boolean(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['payout_id'], ['payout.id'], ),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('ledger_posting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_posting_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_posting_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_posting_programme_id'), ['programme_id'], unique=False)

    op.create_table('ledger_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['ledger_posting.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ledger_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_line_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_line_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_line_posting_id'), ['posting_id'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_account_masked', sqlmodel.sql.sqltypes.AutoString(length=19), nullable=True))
        batch_op.add_column(sa.Column('bank_account_enc', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True))
    _ledger_rules()


SQLITE_RULES = [
    "CREATE TRIGGER ledger_line_no_update BEFORE UPDATE ON ledger_line "
    "BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only'); END",
    "CREATE TRIGGER ledger_line_no_delete BEFORE DELETE ON ledger_line "
    "BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only'); END",
    "CREATE TRIGGER ledger_line_not_into_sealed BEFORE INSERT ON ledger_line "
    "WHEN (SELECT sealed FROM ledger_posting WHERE id = NEW.posting_id) "
    "BEGIN SELECT RAISE(ABORT, 'ledger posting is sealed'); END",
    "CREATE TRIGGER ledger_posting_seal_balanced BEFORE UPDATE OF sealed ON ledger_posting "
    "WHEN NEW.sealed AND (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_line WHERE posting_id = NEW.id) <> 0 "
    "BEGIN SELECT RAISE(ABORT, 'ledger posting does not balance: lines must sum to zero'); END",
    "CREATE TRIGGER ledger_posting_sealed_is_final BEFORE UPDATE ON ledger_posting WHEN OLD.sealed "
    "BEGIN SELECT RAISE(ABORT, 'sealed ledger postings are final'); END",
    "CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting "
    "BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END",
]

POSTGRES_RULES = [
    """CREATE OR REPLACE FUNCTION ledger_refuse() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'ledger rows are append-only: % refused', TG_OP; END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ledger_line_check_open() RETURNS trigger AS $$
    BEGIN
        IF (SELECT sealed FROM ledger_posting WHERE id = NEW.posting_id) THEN
            RAISE EXCEPTION 'ledger posting is sealed';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ledger_posting_check_seal() RETURNS trigger AS $$
    BEGIN
        IF OLD.sealed THEN
            RAISE EXCEPTION 'sealed ledger postings are final';
        END IF;
        IF NEW.sealed AND (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_line WHERE posting_id = NEW.id) <> 0 THEN
            RAISE EXCEPTION 'ledger posting does not balance: lines must sum to zero';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER ledger_line_no_change BEFORE UPDATE OR DELETE ON ledger_line "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse()",
    "CREATE TRIGGER ledger_line_not_into_sealed BEFORE INSERT ON ledger_line "
    "FOR EACH ROW EXECUTE FUNCTION ledger_line_check_open()",
    "CREATE TRIGGER ledger_posting_seal BEFORE UPDATE ON ledger_posting "
    "FOR EACH ROW EXECUTE FUNCTION ledger_posting_check_seal()",
    "CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse()",
]


def _ledger_rules() -> None:
    """Balanced, append-only postings, enforced by the database as well as by our code."""
    rules = POSTGRES_RULES if op.get_bind().dialect.name == "postgresql" else SQLITE_RULES
    for statement in rules:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (("ledger_line_no_change", "ledger_line"), ("ledger_line_not_into_sealed", "ledger_line"),
                               ("ledger_posting_seal", "ledger_posting"), ("ledger_posting_no_delete", "ledger_posting")):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in ("ledger_refuse", "ledger_line_check_open", "ledger_posting_check_seal"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in ("ledger_line_no_update", "ledger_line_no_delete", "ledger_line_not_into_sealed",
                        "ledger_posting_seal_balanced", "ledger_posting_sealed_is_final", "ledger_posting_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('bank_account_enc')
        batch_op.drop_column('bank_account_masked')

    with op.batch_alter_table('ledger_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_line_posting_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_line_case_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_line_account'))

    op.drop_table('ledger_line')
    with op.batch_alter_table('ledger_posting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_posting_programme_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_posting_kind'))
        batch_op.drop_index(batch_op.f('ix_ledger_posting_case_id'))

    op.drop_table('ledger_posting')
    with op.batch_alter_table('payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_status'))
        batch_op.drop_index(batch_op.f('ix_payout_reference'))
        batch_op.drop_index(batch_op.f('ix_payout_case_id'))

    op.drop_table('payout')
