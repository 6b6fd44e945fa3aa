"""An audit trail that cannot be rewritten unnoticed. Tried as someone with write access to the
database: edit a row and recompute the chain and its head (with the hash anyone can compute, and
with the application's own key), delete a row and renumber, forge a checkpoint."""

from __future__ import annotations

import hashlib
import json

import pytest
from alembic import command
from sqlalchemy import select, text

from models.audit import GENESIS_HASH, AuditEvent, canonical_encoding, chain_hash
from models.enums import CaseStatus
from services import audit_queries
from services.audit import audit_key
from services.cases import transition_case
from services.db import transaction
from services.migrate import alembic_config
from tests import factories
from tests.factories import as_staff
from tests.integration.test_audit_chain import _drop_triggers
from tests.integration.test_cli import cli  # noqa: F401 - the fixture

_CONTENT = ("seq", "occurred_at", "actor", "action", "case_id", "case_number", "from_status", "to_status", "reason",
            "payload")


@pytest.fixture
def trail(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(case.case_number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="applicant withdrew",
                    engine=engine)
    return engine


def _rewrite(engine, hash_of, *, edit=None, delete=None):
    """Edit (or delete and renumber) rows, then recompute every hash and the head with ``hash_of``."""
    _drop_triggers(engine)
    with engine.begin() as conn:
        if delete is not None:
            conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": delete})
            conn.execute(text("UPDATE audit_event SET seq = -seq WHERE seq > :s"), {"s": delete})
            conn.execute(text("UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0"))
        if edit is not None:
            conn.execute(text("UPDATE audit_event SET reason = :r WHERE seq = :s"), {"r": edit[1], "s": edit[0]})
    with transaction(engine) as s:
        events = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        rows = [{name: getattr(e, name) for name in _CONTENT} for e in events]
    prev = GENESIS_HASH
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET prev_hash = 'x' || seq, hash = 'y' || seq"))
        for row in rows:
            digest = hash_of(prev, canonical_encoding(**row))
            conn.execute(text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": row["seq"]})
            prev = digest
        conn.execute(text("UPDATE audit_head SET seq = :n, hash = :h WHERE id = 1"), {"n": len(rows), "h": prev})


def _unkeyed(prev, encoding):
    return hashlib.sha256(prev.encode("ascii") + b"\n" + encoding).hexdigest()


def _keyed(prev, encoding):
    return chain_hash(prev, encoding, audit_key())


def test_a_chain_recomputed_without_the_key_is_caught_at_the_row_edited(trail):
    _rewrite(trail, _unkeyed, edit=(2, "nothing happened"))
    report = audit_queries.verify_audit_chain(engine=trail)
    assert not report.intact and report.broken_at == 1  # not one hash verifies without the key


def test_a_chain_recomputed_with_the_key_is_caught_by_the_checkpoint_signed_before(trail, tmp_path):
    checkpoints = tmp_path / "checkpoints.jsonl"
    signed = audit_queries.publish_checkpoint(path=checkpoints, engine=trail)
    _rewrite(trail, _keyed, edit=(2, "nothing happened"))
    assert audit_queries.verify_audit_chain(engine=trail, checkpoints=tmp_path / "none.jsonl").intact  # the chain alone
    report = audit_queries.verify_audit_chain(engine=trail, checkpoints=checkpoints)
    assert not report.intact and report.broken_at == signed.seq and "recomputed" in report.what


def test_a_row_deleted_and_the_rest_renumbered_is_caught_by_the_checkpoint(trail, tmp_path):
    checkpoints = tmp_path / "checkpoints.jsonl"
    signed = audit_queries.publish_checkpoint(path=checkpoints, engine=trail)
    _rewrite(trail, _keyed, delete=2)
    report = audit_queries.verify_audit_chain(engine=trail, checkpoints=checkpoints)
    assert not report.intact and report.broken_at == signed.seq


def test_a_forged_checkpoint_is_named(trail, tmp_path):
    checkpoints = tmp_path / "checkpoints.jsonl"
    signed = audit_queries.publish_checkpoint(path=checkpoints, engine=trail)
    line = json.loads(checkpoints.read_text(encoding="utf-8"))
    checkpoints.write_text(json.dumps({**line, "hash": "f" * 64}) + "\n", encoding="utf-8")
    report = audit_queries.verify_audit_chain(engine=trail, checkpoints=checkpoints)
    assert not report.intact and report.broken_at == signed.seq and "not signed by our key" in report.what


def test_the_command_line_checks_the_published_checkpoints(cli, tmp_path):  # noqa: F811
    factories.world(cli.engine, tmp_path)
    factories.hardship_case(cli.engine)
    signed = cli("audit", "checkpoint")
    assert signed.exit_code == 0 and "verifying key" in signed.output
    assert "agrees with 1 signed checkpoint" in cli("audit", "verify").output
    _rewrite(cli.engine, _keyed, edit=(1, "rewritten"))
    refused = cli("audit", "verify")
    assert refused.exit_code == 1 and "recomputed" in refused.output


def test_a_trail_written_before_the_key_is_rechained_by_the_migration(engine, tmp_path):
    factories.world(engine, tmp_path)
    factories.hardship_case(engine)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")  # the unkeyed chain, as stored before
    with transaction(engine) as s:
        first = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().first()
        row = {name: getattr(first, name) for name in _CONTENT}
        assert first.hash == _unkeyed(GENESIS_HASH, canonical_encoding(**row))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    report = audit_queries.verify_audit_chain(engine=engine)
    assert report.intact and report.events > 3
