"""The audit trail: append-only by trigger, and tampering is found by verification."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from models.enums import CaseStatus
from services.audit import verify_chain
from services.cases import transition_case
from services.db import transaction
from tests import factories


@pytest.fixture
def trail(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(case.case_number, CaseStatus.withdrawn, actor="CW1", reason="applicant withdrew", engine=engine)
    return engine


def _verify(engine):
    with transaction(engine) as s:
        return verify_chain(s)


def test_an_untouched_trail_verifies(trail):
    report = _verify(trail)
    assert report.intact and report.events > 3
    assert str(report) == f"{report.events} events, chain intact"


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET reason = 'edited' WHERE seq = 2",
                                       "DELETE FROM audit_event WHERE seq = 2"])
def test_the_database_refuses_to_change_or_remove_audit_events(trail, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with trail.begin() as conn:
            conn.execute(text(statement))
    assert _verify(trail).intact


def _drop_triggers(engine):
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_an_edited_row_is_named_by_its_sequence_number(trail):
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 3"))
    report = _verify(trail)
    assert not report.intact
    assert report.broken_at == 3 and "altered" in report.what


def test_a_removed_row_is_found(trail):
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    report = _verify(trail)
    assert (report.intact, report.broken_at) == (False, 2)


def test_a_removed_last_row_is_found_through_the_chain_head(trail):
    last = _verify(trail).events
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE seq = {last}"))
    report = _verify(trail)
    assert not report.intact and "removed" in report.what


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(trail):
    from models.audit import chain_hash

    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 2"), {"h": chain_hash("x", b"forged")})
    report = _verify(trail)
    assert not report.intact and report.broken_at == 2
