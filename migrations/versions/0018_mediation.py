"""labour-dispute mediation: employers, the case's detail (the worker encrypted), sessions,
agreements and the employer's payments under them, wage advances; a case's applicant may be a worker who is
not a member

Revision ID: 0018
Revises: 0017
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _case_rules() -> dict[str, str]:
    """The SQLite triggers migration 0013 puts on the case table. SQLite alters a column by copying
    the table, which drops its triggers: they are made again from 0013's own text."""
    spec = importlib.util.spec_from_file_location("defends_itself", Path(__file__).with_name(
        "0013_database_defends_itself.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: rule for name, rule in module.SQLITE_RULES.items() if 'ON "case"' in rule}


def _applicant_nullable(nullable: bool) -> None:
    with op.batch_alter_table("case") as batch:
        batch.alter_column("applicant_member_id", existing_type=sa.Integer(), nullable=nullable)
    if op.get_bind().dialect.name == "sqlite":
        for name, rule in _case_rules().items():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} {rule}")


def upgrade() -> None:
    _applicant_nullable(True)
    op.create_table(
        "employer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uscc", _text(18), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("district_code", _text(6), nullable=False),
        sa.Column("union_unit_id", sa.Integer(), sa.ForeignKey("unit.id"), nullable=True),
    )
    op.create_index("ix_employer_uscc", "employer", ["uscc"], unique=True)
    # The table of the first schema was never written to: mediation had no intake before.
    op.drop_table("mediation_detail")
    op.create_table(
        "mediation_detail",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("worker_name", sa.Text(), nullable=False),
        sa.Column("worker_id_hash", _text(64), nullable=False),
        sa.Column("worker_id", sa.Text(), nullable=False),
        sa.Column("worker_member_id", sa.Integer(), sa.ForeignKey("member.id"), nullable=True),
        sa.Column("worker_bank_account_enc", sa.Text(), nullable=True),
        sa.Column("worker_bank_account_masked", _text(32), nullable=True),
        sa.Column("employer_uscc", _text(18), nullable=False),
        sa.Column("employer_name", _text(200), nullable=False),
        sa.Column("employer_address", _text(200), nullable=False),
        sa.Column("employer_district", _text(6), nullable=False),
        sa.Column("relationship", _text(20), nullable=False),
        sa.Column("dispute_type", _text(30), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("knew_on", sa.Date(), nullable=False),
        sa.Column("employed_from", sa.Date(), nullable=False),
        sa.Column("employed_until", sa.Date(), nullable=True),
        sa.Column("worker_consent", sa.Boolean(), nullable=False),
        sa.Column("employer_consent", sa.Boolean(), nullable=True),
        sa.Column("before_tribunal", _text(20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("matter", sa.Text(), nullable=False),
        sa.Column("oral_application", sa.Boolean(), nullable=False),
        sa.Column("oral_record", sa.Text(), nullable=True),
        sa.Column("mediator_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("legal_aid_requested", sa.Boolean(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("policy_version", _text(40), nullable=False),
        sa.CheckConstraint("extended_days >= 0", name="ck_mediation_extension_nonneg"),
    )
    op.create_index("ix_mediation_detail_worker_id_hash", "mediation_detail", ["worker_id_hash"])
    op.create_index("ix_mediation_detail_employer_uscc", "mediation_detail", ["employer_uscc"])
    op.create_table(
        "mediation_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("next_step", _text(200), nullable=False),
        sa.Column("recorded_by_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_mediation_session_seq"),
    )
    op.create_index("ix_mediation_session_case_id", "mediation_session", ["case_id"])
    op.create_table(
        "mediation_agreement",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("drafted_by_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_signed_on", sa.Date(), nullable=True),
        sa.Column("employer_signed_on", sa.Date(), nullable=True),
        sa.Column("mediator_signed_on", sa.Date(), nullable=True),
        sa.Column("mediator_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("seal_recorded_on", sa.Date(), nullable=True),
        sa.Column("seal_recorded_by_staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
    )
    op.create_table(
        "agreement_payment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", _text(30), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.UniqueConstraint("case_id", "seq", name="uq_agreement_payment_seq"),
        sa.CheckConstraint("amount_fen > 0", name="ck_agreement_payment_positive"),
        sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="ck_agreement_payment_within"),
    )
    op.create_index("ix_agreement_payment_case_id", "agreement_payment", ["case_id"])
    op.create_table(
        "wage_advance",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("mediation_case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("repay_by", sa.Date(), nullable=False),
        sa.Column("employer_uscc", _text(18), nullable=False),
        sa.Column("written_off_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_wage_advance_mediation_case_id", "wage_advance", ["mediation_case_id"])


def downgrade() -> None:
    op.drop_index("ix_wage_advance_mediation_case_id", "wage_advance")
    op.drop_table("wage_advance")
    op.drop_index("ix_agreement_payment_case_id", "agreement_payment")
    op.drop_table("agreement_payment")
    op.drop_table("mediation_agreement")
    op.drop_index("ix_mediation_session_case_id", "mediation_session")
    op.drop_table("mediation_session")
    op.drop_table("mediation_detail")
    op.create_table(
        "mediation_detail",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), primary_key=True),
        sa.Column("employer_name", _text(200), nullable=False),
        sa.Column("disputed_matter", _text(2000), nullable=False),
        sa.Column("application_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("knew_of_dispute_on", sa.Date(), nullable=True),
        sa.Column("oral_application", sa.Boolean(), nullable=False),
        sa.Column("mediation_deadline", sa.Date(), nullable=True),
    )
    op.drop_index("ix_employer_uscc", "employer")
    op.drop_table("employer")
    _applicant_nullable(False)
