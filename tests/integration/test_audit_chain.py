"""The audit trail: append-only by trigger, and tampering is found by verification."""

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from models.audit import AuditEvent, AuditHead, event_hash
from models.enums import CaseStatus
from services.audit import audit_key, verify_chain
from services.cases import transition_case
from services.db import transaction
from tests import factories
from tests.factories import as_staff


@pytest.fixture
def trail(engine, tmp_path):
    factories.world(engine, tmp_path)
    case = factories.hardship_case(engine)
    transition_case(case.case_number, CaseStatus.verifying, actor="system", reason="start", engine=engine)
    transition_case(case.case_number, CaseStatus.withdrawn, actor=as_staff("CW1"), reason="applicant withdrew", engine=engine)
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
    factories.drop_guards(engine)


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


# --- forgeries by someone who can write to the database and knows how the hash is made ------

_CONTENT = ("occurred_at", "actor", "action", "case_id", "case_number", "from_status", "to_status", "reason", "payload")


def _stored(engine, seq):
    with transaction(engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.seq == seq)).scalar_one()


def _last_seq(engine):
    with transaction(engine) as s:
        return s.get(AuditHead, 1).seq


def _forge(engine, seq, **changes):
    """Rewrite row ``seq`` with ``changes`` and give it the hash its new fields really have, so
    that the row verifies on its own. Returns the row as forged."""
    event = _stored(engine, seq)
    for name, value in changes.items():
        setattr(event, name, value)
    event.hash = event_hash(event, audit_key())
    values = {name: getattr(event, name) for name in ("seq", "prev_hash", "hash", *_CONTENT)}
    with engine.begin() as conn:
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == seq).values(**values))
    assert event_hash(_stored(engine, event.seq), audit_key()) == event.hash  # the forged row is self-consistent
    return event


def _move_head(engine, seq, hash_):
    with engine.begin() as conn:
        conn.execute(update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1).values(seq=seq, hash=hash_))


def test_a_row_rewritten_with_its_real_hash_recomputed_breaks_the_link_to_the_next_row(trail):
    submitted = next(seq for seq in range(1, _last_seq(trail) + 1) if _stored(trail, seq).action == "submit")
    original = _stored(trail, submitted)
    _drop_triggers(trail)
    _forge(trail, submitted, payload={**original.payload, "requested_fen": 2_000_000})  # the request inflated tenfold
    report = _verify(trail)
    assert (report.intact, report.broken_at) == (False, submitted + 1)
    assert report.what == "its previous-hash does not match the event before it"


def test_a_forger_who_rewrites_the_whole_tail_consistently_is_found_through_the_chain_head(trail):
    last = _last_seq(trail)
    _drop_triggers(trail)
    forged = _forge(trail, last - 2, reason="nothing to see")
    for seq in (last - 1, last):  # every later row re-chained and re-hashed: each link verifies
        forged = _forge(trail, seq, prev_hash=forged.hash)
    report = _verify(trail)
    assert (report.intact, report.events, report.broken_at) == (False, last, last)
    assert report.what == f"the chain head's hash is not the hash of event {last} (the trail was rewritten)"


def test_two_rows_swapped_with_their_hashes_recomputed_are_found(trail):
    last = _last_seq(trail)
    first, second = _stored(trail, last - 2), _stored(trail, last - 1)  # submit, then start of verification
    _drop_triggers(trail)
    _forge(trail, first.seq, **{name: getattr(second, name) for name in _CONTENT})
    _forge(trail, second.seq, **{name: getattr(first, name) for name in _CONTENT})
    assert [_stored(trail, seq).action for seq in (last - 2, last - 1)] == [second.action, first.action]
    report = _verify(trail)
    assert (report.intact, report.broken_at) == (False, last - 1)
    assert "previous-hash" in report.what


def test_the_database_refuses_a_second_event_chained_to_the_same_predecessor(trail):
    """A row slipped into the middle must hang off an event that already has a successor."""
    last = _last_seq(trail)
    follower = _stored(trail, last)
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == last).values(seq=last + 1))
    inserted = AuditEvent(seq=last, prev_hash=follower.prev_hash, hash="",
                          **{name: getattr(follower, name) for name in _CONTENT} | {"reason": "forged"})
    inserted.hash = event_hash(inserted, audit_key())
    values = {name: getattr(inserted, name) for name in ("seq", "prev_hash", "hash", *_CONTENT)}
    with pytest.raises(IntegrityError):
        with trail.begin() as conn:
            conn.execute(insert(AuditEvent.__table__).values(**values))


def test_a_row_inserted_in_the_middle_is_found_where_the_forger_stopped_re_chaining(trail):
    last = _last_seq(trail)
    tail = [_stored(trail, seq) for seq in (last - 1, last)]
    _drop_triggers(trail)
    with trail.begin() as conn:  # make room: the two last rows move up by one
        for event in reversed(tail):
            conn.execute(update(AuditEvent.__table__).where(AuditEvent.__table__.c.seq == event.seq)
                         .values(seq=event.seq + 1, prev_hash=f"moving-{event.seq}"))
    inserted = AuditEvent(seq=last - 1, prev_hash=tail[0].prev_hash, hash="",
                          **{name: getattr(tail[0], name) for name in _CONTENT}
                          | {"action": "approve", "to_status": "approved", "reason": "forged"})
    inserted.hash = event_hash(inserted, audit_key())
    with trail.begin() as conn:
        conn.execute(insert(AuditEvent.__table__).values(
            **{name: getattr(inserted, name) for name in ("seq", "prev_hash", "hash", *_CONTENT)}))
    linked = _forge(trail, last, prev_hash=inserted.hash)  # the row after it is re-linked...
    moved = _forge(trail, last + 1, prev_hash=tail[1].prev_hash)  # ...the next only re-hashed at its new place
    _move_head(trail, last + 1, moved.hash)
    assert linked.prev_hash == inserted.hash
    report = _verify(trail)
    assert (report.intact, report.broken_at) == (False, last + 1)
    assert report.what == "its previous-hash does not match the event before it"


def test_a_row_appended_without_moving_the_chain_head_is_found(trail):
    last = _last_seq(trail)
    previous = _stored(trail, last)
    appended = AuditEvent(seq=last + 1, prev_hash=previous.hash, hash="",
                          **{name: getattr(previous, name) for name in _CONTENT} | {"reason": "appended"})
    appended.hash = event_hash(appended, audit_key())
    with trail.begin() as conn:  # inserting needs no dropped trigger; the head is what it misses
        conn.execute(insert(AuditEvent.__table__).values(
            **{name: getattr(appended, name) for name in ("seq", "prev_hash", "hash", *_CONTENT)}))
    report = _verify(trail)
    assert (report.intact, report.events, report.broken_at) == (False, last + 1, last + 1)
    assert report.what == f"the chain head says {last} events but {last + 1} are stored (rows were added after it)"


def test_a_broken_chain_is_reported_with_the_events_that_verified_before_the_break(trail):
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    report = _verify(trail)
    assert (report.events, report.broken_at, report.what) == (1, 2, "event 2 is missing (next stored is 3)")
    assert str(report) == "chain broken at sequence 2: event 2 is missing (next stored is 3)"


def test_an_altered_row_is_reported_after_the_rows_before_it_verified(trail):
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'someone' WHERE seq = 3"))
    report = _verify(trail)
    assert (report.intact, report.events, report.broken_at, report.what) == (
        False, 2, 3, "its contents do not match its hash (the row was altered)")


def test_a_rechained_row_is_reported_after_the_rows_before_it_verified(trail):
    _drop_triggers(trail)
    _forge(trail, 2, reason="forged")
    report = _verify(trail)
    assert (report.events, report.broken_at, report.what) == (
        2, 3, "its previous-hash does not match the event before it")


def test_the_chain_verifies_the_same_in_batches_of_any_size(trail):
    with transaction(trail) as s:
        whole = verify_chain(s)
        assert [verify_chain(s, batch_size=size) for size in (1, 2, 3)] == [whole] * 3


def test_rows_removed_at_the_end_are_reported_from_the_first_missing_sequence(trail):
    last = _last_seq(trail)
    _drop_triggers(trail)
    with trail.begin() as conn:
        conn.execute(text(f"DELETE FROM audit_event WHERE seq >= {last - 1}"))
    report = _verify(trail)
    assert (report.intact, report.events, report.broken_at) == (False, last - 2, last - 1)
    assert report.what == (f"the chain head says {last} events but {last - 2} are stored "
                           "(rows were removed at the end)")


def test_history_and_verification_read_rows_in_sequence_order_whatever_order_they_are_stored_in(trail):
    """Rows taken out and put back unchanged (as a restore might) are stored last: PostgreSQL then
    returns them last from a plain scan or an index on another column. SQLite keeps rows in key
    order, so there this pins only the result."""
    from services.audit import case_history

    with transaction(trail) as s:
        number = s.execute(select(AuditEvent.case_number).where(AuditEvent.case_number.is_not(None))
                           .order_by(AuditEvent.seq)).scalars().first()
        expected = [e.seq for e in case_history(s, number)]
    _drop_triggers(trail)
    moved = f"seq IN (1, {expected[0]})"
    with trail.begin() as conn:
        conn.execute(text(f"CREATE TEMPORARY TABLE moved AS SELECT * FROM audit_event WHERE {moved}"))
        conn.execute(text(f"DELETE FROM audit_event WHERE {moved}"))
        conn.execute(text("INSERT INTO audit_event SELECT * FROM moved"))
    with transaction(trail) as s:
        assert [e.seq for e in case_history(s, number)] == expected == sorted(expected)
    report = _verify(trail)
    assert report.intact, str(report)


def test_a_trail_whose_head_row_is_missing_starts_from_the_genesis_hash_and_verifies(engine):
    from models.audit import GENESIS_HASH
    from services.audit import append_event

    factories.drop_guards(engine)  # the guards refuse it: a database whose head row never was
    with engine.begin() as conn:
        conn.execute(AuditHead.__table__.delete())
    with transaction(engine) as s:
        append_event(s, actor="system", action="programme_added", payload={"programme": "HA-LIVING"})
    first = _stored(engine, 1)
    assert (first.seq, first.prev_hash, first.reason) == (1, GENESIS_HASH, "")
    with transaction(engine) as s:
        head = s.get(AuditHead, 1)
        assert (head.seq, head.hash) == (1, first.hash)
    assert _verify(engine).intact
