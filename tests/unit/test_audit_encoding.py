from datetime import UTC, datetime, timedelta, timezone

import pytest

from models.audit import GENESIS_HASH, canonical_encoding, chain_hash

FIELDS = dict(seq=1, actor="S001", action="submit", case_id=1, case_number="HA-2026-000001",
              from_status=None, to_status="submitted", reason="", payload={"b": 1, "a": [True, None]})


def test_the_encoding_does_not_depend_on_key_order_or_time_zone():
    t = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    one = canonical_encoding(occurred_at=t, **FIELDS)
    two = canonical_encoding(occurred_at=t.astimezone(timezone(timedelta(hours=8))),
                             **{**FIELDS, "payload": {"a": [True, None], "b": 1}})
    assert one == two


def test_a_changed_field_changes_the_hash():
    t = datetime(2026, 11, 24, tzinfo=UTC)
    base = chain_hash(GENESIS_HASH, canonical_encoding(occurred_at=t, **FIELDS))
    changed = chain_hash(GENESIS_HASH, canonical_encoding(occurred_at=t, **{**FIELDS, "reason": "x"}))
    assert base != changed


def test_floats_are_refused_in_payloads():
    with pytest.raises(TypeError, match="float"):
        canonical_encoding(occurred_at=datetime.now(UTC), **{**FIELDS, "payload": {"amount": 1.5}})
