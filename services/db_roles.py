"""The production database role the application connects as: it owns nothing, so it cannot drop
a trigger, alter a table or TRUNCATE; on the audit and ledger tables it may only INSERT and
SELECT (the one exception, each guarded by a trigger: a posting's ``sealed`` flag is set once,
and the audit head moves to the event just written).

Migrations run as the owner (``unionaid db upgrade`` with the owner's URL); the owner then
grants the application role what it needs with ``unionaid db grant ROLE`` (PostgreSQL only).
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from models.errors import ConfigurationError, InputError

# Kept as written: INSERT and SELECT only.
APPEND_ONLY = ("audit_event", "ledger_line")
# INSERT and SELECT, and UPDATE of these columns only (their triggers keep the rest).
COLUMN_UPDATES = {"ledger_posting": ("sealed",), "audit_head": ("seq", "hash"), "case_notice": ("objections", "objection_text")}
# The only rows our code deletes: a member's link to a household they left.
DELETES = ("household_member",)


def grant_statements(role: str, tables: list[str]) -> list[str]:
    """What the owner grants the application role, table by table."""
    if not role.replace("_", "").isalnum() or not role[:1].isalpha() or len(role) > 63:
        raise InputError("role", "must be a PostgreSQL role name: letters, digits and _, starting with a letter")
    quoted = f'"{role}"'
    statements = []
    for table in sorted(tables):
        name = f'"{table}"'
        statements.append(f"REVOKE ALL ON {name} FROM {quoted}")
        statements.append(f"GRANT SELECT, INSERT ON {name} TO {quoted}")
        if table in COLUMN_UPDATES:
            statements.append(f"GRANT UPDATE ({', '.join(COLUMN_UPDATES[table])}) ON {name} TO {quoted}")
        elif table not in APPEND_ONLY:
            statements.append(f"GRANT UPDATE ON {name} TO {quoted}")
        if table in DELETES:
            statements.append(f"GRANT DELETE ON {name} TO {quoted}")
    return statements


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """Grant ``role`` what the application needs on every table of ours and their sequences, in
    the schema the engine works in; run as the tables' owner. Returns what was granted."""
    if engine.dialect.name != "postgresql":
        raise ConfigurationError("database roles are PostgreSQL's: the embedded SQLite database has none")
    statements = grant_statements(role, list(SQLModel.metadata.tables))
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            raise InputError("role", "does not exist: create it first (CREATE ROLE ... LOGIN)")
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        statements = [f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"',
                      f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"',
                      f'GRANT SELECT ON "alembic_version" TO "{role}"'] + statements
        for statement in statements:
            conn.execute(text(statement))
    return statements
