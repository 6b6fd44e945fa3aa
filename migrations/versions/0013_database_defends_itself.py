"""the database defends itself: no TRUNCATE of ledger, audit, payout or reconciliation tables;
the audit head only moves forward to the event just written; a payout's terms, an obligation's
amount and a case's approved amount never change once set; nothing of them is deleted

Our code never updates these columns or deletes these rows; a person at a database prompt
could. These triggers refuse it on SQLite and PostgreSQL alike. They do not stop the owner of
the tables, who may drop them: in production the application connects as a role that owns
nothing (docs/operations.md, ``unionaid db grant``), and what an owner does anyway is caught by
the keyed audit chain, its signed checkpoints and ``audit verify --deep``.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PAYOUT_TERMS = ("amount_fen", "reference", "case_id", "obligation_id", "attempt", "payee_name", "bank_account_enc")
_OBLIGATION_TERMS = ("amount_fen", "case_id", "seq", "direction", "party", "party_ref", "programme_id")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _pg_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


def _refuse(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


def _pg_check(name: str, refusals: list[tuple[str, str]]) -> str:
    """A row trigger function that refuses an UPDATE meeting any condition, with its message."""
    body = "".join(f"        IF {condition} THEN\n            RAISE EXCEPTION '{message}';\n        END IF;\n"
                   for condition, message in refusals)
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\n    BEGIN\n{body}"
            "        RETURN NEW;\n    END $$ LANGUAGE plpgsql")


SQLITE_RULES = {
    "audit_head_one_row": "BEFORE INSERT ON audit_head WHEN NEW.id <> 1 OR NEW.seq <> 0 "
                          + _refuse("the audit head is one row, written when the trail begins"),
    "audit_head_moves_by_one": "BEFORE UPDATE ON audit_head WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 "
                               "OR NEW.hash IS NOT (SELECT hash FROM audit_event WHERE seq = NEW.seq) "
                               + _refuse("the audit head only moves to the event just written"),
    "audit_head_no_delete": "BEFORE DELETE ON audit_head " + _refuse("the audit head is never deleted"),
    "payout_terms_are_final": f"BEFORE UPDATE ON payout WHEN {_changed(_PAYOUT_TERMS)} "
                              + _refuse("a payout''s amount, payee and reference never change"),
    "payout_end_is_final": "BEFORE UPDATE OF status ON payout WHEN OLD.status IN ('succeeded', 'failed') "
                           "AND NEW.status IS NOT OLD.status " + _refuse("a payout that ended stays ended"),
    "payout_no_delete": "BEFORE DELETE ON payout " + _refuse("payouts are never deleted"),
    "obligation_terms_are_final": f"BEFORE UPDATE ON obligation WHEN {_changed(_OBLIGATION_TERMS)} "
                                  + _refuse("an obligation''s amount and party never change"),
    "obligation_no_delete": "BEFORE DELETE ON obligation " + _refuse("obligations are never deleted"),
    "case_approved_amount_is_final": "BEFORE UPDATE OF approved_fen ON \"case\" WHEN OLD.approved_fen IS NOT NULL "
                                     "AND NEW.approved_fen IS NOT OLD.approved_fen "
                                     + _refuse("an approved amount never changes"),
    "case_paid_never_falls": "BEFORE UPDATE OF paid_fen ON \"case\" WHEN NEW.paid_fen < OLD.paid_fen "
                             + _refuse("what a case was paid never falls"),
    "case_no_delete": "BEFORE DELETE ON \"case\" " + _refuse("cases are never deleted"),
}

_PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION unionaid_refuse() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '% on % refused: % rows are kept as written', TG_OP, TG_TABLE_NAME, TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION audit_head_check() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.id <> 1 OR NEW.seq <> 0 THEN
                RAISE EXCEPTION 'the audit head is one row, written when the trail begins';
            END IF;
        ELSIF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
              OR NEW.hash IS DISTINCT FROM (SELECT hash FROM audit_event WHERE seq = NEW.seq) THEN
            RAISE EXCEPTION 'the audit head only moves to the event just written';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    _pg_check("payout_check", [(_pg_changed(_PAYOUT_TERMS), "a payout''s amount, payee and reference never change"),
                               ("OLD.status IN ('succeeded', 'failed') AND NEW.status IS DISTINCT FROM OLD.status",
                                "a payout that ended stays ended")]),
    _pg_check("obligation_check", [(_pg_changed(_OBLIGATION_TERMS), "an obligation''s amount and party never change")]),
    """CREATE OR REPLACE FUNCTION case_check() RETURNS trigger AS $$
    BEGIN
        IF OLD.approved_fen IS NOT NULL AND NEW.approved_fen IS DISTINCT FROM OLD.approved_fen THEN
            RAISE EXCEPTION 'an approved amount never changes';
        END IF;
        IF NEW.paid_fen < OLD.paid_fen THEN
            RAISE EXCEPTION 'what a case was paid never falls';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
]

# (trigger, table, timing and event, function)
_PG_TRIGGERS = [
    ("audit_head_guard", "audit_head", "BEFORE INSERT OR UPDATE", "FOR EACH ROW", "audit_head_check"),
    ("audit_head_no_delete", "audit_head", "BEFORE DELETE", "FOR EACH ROW", "unionaid_refuse"),
    ("payout_guard", "payout", "BEFORE UPDATE", "FOR EACH ROW", "payout_check"),
    ("payout_no_delete", "payout", "BEFORE DELETE", "FOR EACH ROW", "unionaid_refuse"),
    ("obligation_guard", "obligation", "BEFORE UPDATE", "FOR EACH ROW", "obligation_check"),
    ("obligation_no_delete", "obligation", "BEFORE DELETE", "FOR EACH ROW", "unionaid_refuse"),
    ("case_guard", '"case"', "BEFORE UPDATE", "FOR EACH ROW", "case_check"),
    ("case_no_delete", '"case"', "BEFORE DELETE", "FOR EACH ROW", "unionaid_refuse"),
] + [
    (f"{table.strip(chr(34))}_no_truncate", table, "BEFORE TRUNCATE", "FOR EACH STATEMENT", "unionaid_refuse")
    for table in ("ledger_line", "ledger_posting", "audit_head", "payout", "obligation", '"case"',
                  "reconciliation_run", "reconciliation_exception")
]
_PG_FUNCTION_NAMES = ("unionaid_refuse", "audit_head_check", "payout_check", "obligation_check", "case_check")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_FUNCTIONS:
            op.execute(statement)
        for name, table, when, each, function in _PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {name} {when} ON {table} {each} EXECUTE FUNCTION {function}()")
    else:
        for name, rule in SQLITE_RULES.items():
            op.execute(f"CREATE TRIGGER {name} {rule}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, *_ in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in _PG_FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in SQLITE_RULES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
