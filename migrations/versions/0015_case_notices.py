"""public notice of a case outside a campaign: a case of a category the policy puts on notice
(student aid) gets a notice of its own when verification passes, and is approved only after it
has ended. Its days are never changed and it is never deleted (triggers, like 0013's). An
objection's words are stored encrypted, in a campaign's cases too (existing rows are encrypted
here; downgrading decrypts them).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TERMS = ("case_id", "starts_on", "ends_on", "working_days", "policy_version", "opened_at")
_DAYS = "a public notice''s days never change"
_FALLS = "objections to a notice are never taken back"
_KEPT = "public notices are never deleted"


def upgrade() -> None:
    from services import pii

    op.create_table(
        "case_notice",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("objections", sa.Integer(), nullable=False),
        sa.Column("objection_text", sa.Text(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _TERMS)
        op.execute(f"""CREATE OR REPLACE FUNCTION case_notice_check() RETURNS trigger AS $$
    BEGIN
        IF {changed} THEN
            RAISE EXCEPTION '{_DAYS}';
        END IF;
        IF NEW.objections < OLD.objections THEN
            RAISE EXCEPTION '{_FALLS}';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER case_notice_guard BEFORE UPDATE ON case_notice FOR EACH ROW "
                   "EXECUTE FUNCTION case_notice_check()")
        op.execute("CREATE TRIGGER case_notice_no_delete BEFORE DELETE ON case_notice FOR EACH ROW "
                   "EXECUTE FUNCTION unionaid_refuse()")
        op.execute("CREATE TRIGGER case_notice_no_truncate BEFORE TRUNCATE ON case_notice FOR EACH STATEMENT "
                   "EXECUTE FUNCTION unionaid_refuse()")
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _TERMS)
        op.execute(f"CREATE TRIGGER case_notice_days_are_final BEFORE UPDATE ON case_notice WHEN {changed} "
                   f"BEGIN SELECT RAISE(ABORT, '{_DAYS}'); END")
        op.execute("CREATE TRIGGER case_notice_objections_never_fall BEFORE UPDATE OF objections ON case_notice "
                   f"WHEN NEW.objections < OLD.objections BEGIN SELECT RAISE(ABORT, '{_FALLS}'); END")
        op.execute(f"CREATE TRIGGER case_notice_no_delete BEFORE DELETE ON case_notice "
                   f"BEGIN SELECT RAISE(ABORT, '{_KEPT}'); END")
    with op.batch_alter_table("campaign_case") as batch:
        batch.alter_column("objection_text", type_=sa.Text(), existing_type=sa.String(4000))
    _convert(pii.encrypt)


def _convert(change) -> None:
    conn = op.get_bind()
    for key, value in conn.execute(sa.text("SELECT id, objection_text FROM campaign_case "
                                           "WHERE objection_text IS NOT NULL")).all():
        conn.execute(sa.text("UPDATE campaign_case SET objection_text = :v WHERE id = :k"), {"v": change(value), "k": key})


def downgrade() -> None:
    from services import pii

    _convert(pii.decrypt)
    with op.batch_alter_table("campaign_case") as batch:
        batch.alter_column("objection_text", type_=sa.String(4000), existing_type=sa.Text())
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("case_notice_guard", "case_notice_no_delete", "case_notice_no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON case_notice")
        op.execute("DROP FUNCTION IF EXISTS case_notice_check()")
    op.drop_table("case_notice")
