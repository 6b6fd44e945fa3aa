"""keyed audit chain: every event's hash becomes an HMAC-SHA256 under UNIONAID_AUDIT_KEY (a key
outside the database), recomputed here in sequence order, and the chain head with it

An unkeyed SHA-256 chain could be recomputed by anyone who edits the database. The triggers that
keep ``audit_event`` append-only are lifted for this one recompute and put back as they were.
Downgrading recomputes the unkeyed chain.

Revision ID: 0012
Revises: 0011
"""

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from models.audit import GENESIS_HASH, canonical_encoding, chain_hash

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _key() -> bytes:
    from services.settings import get_settings

    return get_settings().audit_key.get_secret_value().encode("utf-8")


def _triggers(on: bool) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(f"ALTER TABLE audit_event {'ENABLE' if on else 'DISABLE'} TRIGGER audit_event_no_change")
        return
    if on:
        op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END")
        op.execute("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                   "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def _rechain(hash_of) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT seq, occurred_at, actor, action, case_id, case_number, from_status, to_status, reason, payload "
        "FROM audit_event ORDER BY seq")).mappings().all()
    prev = GENESIS_HASH
    for row in rows:
        occurred = row["occurred_at"]
        if isinstance(occurred, str):
            occurred = datetime.fromisoformat(occurred)
        payload = row["payload"]
        if isinstance(payload, str):
            payload = json.loads(payload)
        encoding = canonical_encoding(seq=row["seq"], occurred_at=occurred, actor=row["actor"], action=row["action"],
                                      case_id=row["case_id"], case_number=row["case_number"],
                                      from_status=row["from_status"], to_status=row["to_status"],
                                      reason=row["reason"], payload=payload)
        digest = hash_of(prev, encoding)
        conn.execute(sa.text("UPDATE audit_event SET prev_hash = :prev, hash = :hash WHERE seq = :seq"),
                     {"prev": prev, "hash": digest, "seq": row["seq"]})
        prev = digest
    conn.execute(sa.text("UPDATE audit_head SET hash = :hash WHERE id = 1"), {"hash": prev})


def upgrade() -> None:
    _triggers(False)
    key = _key()
    _rechain(lambda prev, encoding: chain_hash(prev, encoding, key))
    _triggers(True)


def downgrade() -> None:
    _triggers(False)
    _rechain(lambda prev, encoding: hashlib.sha256(prev.encode("ascii") + b"\n" + encoding).hexdigest())
    _triggers(True)
