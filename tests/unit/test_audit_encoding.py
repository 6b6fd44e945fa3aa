import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from models.audit import GENESIS_HASH, canonical_encoding, chain_hash

KEY = b"a key that lives outside the database"

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
    base = chain_hash(GENESIS_HASH, canonical_encoding(occurred_at=t, **FIELDS), KEY)
    changed = chain_hash(GENESIS_HASH, canonical_encoding(occurred_at=t, **{**FIELDS, "reason": "x"}), KEY)
    assert base != changed


def test_the_same_event_under_another_key_has_another_hash():
    """Whoever edits the database without the key cannot compute a chain that verifies."""
    encoded = canonical_encoding(occurred_at=datetime(2026, 11, 24, tzinfo=UTC), **FIELDS)
    assert chain_hash(GENESIS_HASH, encoded, KEY) != chain_hash(GENESIS_HASH, encoded, b"another key")
    assert chain_hash(GENESIS_HASH, encoded, KEY) != hashlib.sha256(b"0" * 64 + b"\n" + encoded).hexdigest()


def test_floats_are_refused_in_payloads():
    with pytest.raises(TypeError, match="float"):
        canonical_encoding(occurred_at=datetime.now(UTC), **{**FIELDS, "payload": {"amount": 1.5}})


def test_the_encoding_is_byte_for_byte_the_one_stored_trails_were_hashed_with():
    """Written out by hand: any change to the encoding would break the verification of every trail
    already stored, so it must never change by accident."""
    at = datetime(2026, 11, 24, 10, 0, 0, 1234, tzinfo=timezone(timedelta(hours=8)))
    encoded = canonical_encoding(occurred_at=at, **{**FIELDS, "reason": "困难 aid", "from_status": "draft"})
    assert encoded == (
        '{"action":"submit","actor":"S001","case_id":1,"case_number":"HA-2026-000001","from_status":"draft",'
        '"occurred_at":"2026-11-24T02:00:00.001234","payload":{"a":[true,null],"b":1},"reason":"困难 aid",'
        '"seq":1,"to_status":"submitted"}').encode()
    assert chain_hash(GENESIS_HASH, encoded, KEY) == hmac.new(KEY, b"0" * 64 + b"\n" + encoded, hashlib.sha256).hexdigest()
    on_the_second = canonical_encoding(occurred_at=datetime(2026, 11, 24, 2, 0, tzinfo=UTC), **FIELDS)
    assert b'"occurred_at":"2026-11-24T02:00:00.000000"' in on_the_second


@pytest.mark.parametrize("payload,problem", [
    ({"amount": 1.5}, "payload.amount: float cannot be stored in an audit payload"),
    ({"items": [1, {"x": 2.5}]}, "payload.items[1].x: float cannot be stored in an audit payload"),
    ({"when": (1, 2)}, "payload.when: tuple cannot be stored in an audit payload"),
    ({1: "one"}, "payload: keys must be strings"),
    ({"nested": {"deeper": {2: "two"}}}, "payload.nested.deeper: keys must be strings"),
])
def test_a_payload_that_cannot_be_encoded_canonically_is_refused_naming_where(payload, problem):
    with pytest.raises(TypeError) as refused:
        canonical_encoding(occurred_at=datetime(2026, 11, 24, tzinfo=UTC), **{**FIELDS, "payload": payload})
    assert str(refused.value) == problem


def test_strings_whole_numbers_truth_values_nothing_lists_and_objects_may_be_stored_at_any_depth():
    payload = {"s": "text", "n": -3, "t": True, "f": False, "none": None, "list": ["a", 1, [None, {"k": "v"}]],
               "object": {"inner": {"n": 0}}}
    encoded = canonical_encoding(occurred_at=datetime(2026, 11, 24, tzinfo=UTC), **{**FIELDS, "payload": payload})
    assert json.loads(encoded)["payload"] == payload
