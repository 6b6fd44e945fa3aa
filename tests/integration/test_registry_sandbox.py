"""The registry adapter against the registry sandbox, over real sockets."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import httpx
import pytest

from models.errors import PermanentError, RetryableError
from models.identifiers import keyed_hash
from sandbox.registry import load_members
from services.registry_client import RegistryMember
from tests.integration.conftest_sandbox import (  # noqa: F401  (fixtures register by import)
    MEMBERS,
    PII_KEY,
    REGISTRY_SECRET,
    free_port,
    members_file_fixture,
    registry_for,
    registry_sandbox_fixture,
    sandbox_process,
)


def test_an_active_member_is_found_with_unit_join_date_and_resident_id_hash(registry_sandbox: str) -> None:
    registry = registry_for(registry_sandbox)

    member = registry.lookup("M-0001")

    assert member == RegistryMember(
        member_number="M-0001",
        status="active",
        unit_code="U-0102",
        join_date=date(2019, 3, 1),
        name="王芳",
        resident_id_hash=keyed_hash(PII_KEY, "11010519491231002X"),
    )
    assert member.is_active
    registry.close()


@pytest.mark.parametrize(("number", "status"), [("M-0002", "suspended"), ("M-0003", "left")])
def test_suspended_and_former_members_are_found_with_their_status(
    registry_sandbox: str, number: str, status: str
) -> None:
    registry = registry_for(registry_sandbox)

    member = registry.lookup(number)

    assert member is not None and member.status == status and not member.is_active
    registry.close()


def test_a_member_number_the_registry_does_not_know_is_none(registry_sandbox: str) -> None:
    registry = registry_for(registry_sandbox)

    assert registry.lookup("M-9999") is None
    registry.close()


def test_a_logged_member_shows_neither_name_nor_resident_id_hash(registry_sandbox: str) -> None:
    registry = registry_for(registry_sandbox)

    shown = repr(registry.lookup("M-0001"))

    assert "M-0001" in shown
    assert "王芳" not in shown and MEMBERS[0]["resident_id_hash"] not in shown
    registry.close()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"secret": "not-the-secret"}, "bad_signature"),
        ({"clock": lambda: time.time() + 301}, "stale_timestamp"),
    ],
    ids=["wrong-secret", "clock-ahead"],
)
def test_an_unsigned_or_stale_lookup_is_refused_permanently(registry_sandbox: str, changes: dict, code: str) -> None:
    registry = registry_for(registry_sandbox, **changes)

    with pytest.raises(PermanentError, match=f"401 {code}"):
        registry.lookup("M-0001")
    registry.close()


def test_a_replayed_nonce_is_refused(registry_sandbox: str) -> None:
    registry = registry_for(registry_sandbox, nonce_factory=lambda: "f" * 32)
    registry.lookup("M-0001")

    with pytest.raises(PermanentError, match="401 replayed_nonce"):
        registry.lookup("M-0001")
    registry.close()


def test_a_registry_that_is_not_running_is_retryable() -> None:
    registry = registry_for(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(RetryableError, match="could not be reached"):
        registry.lookup("M-0001")
    registry.close()


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda members: members[0].update(status="retired"), "status"),
        (lambda members: members[1].update(member_number="M-0001"), "unique"),
        (lambda members: members[2].update(resident_id_hash="11010519491231002X"), "resident_id_hash"),
    ],
    ids=["unknown-status", "duplicate-number", "clear-resident-id"],
)
def test_a_bad_members_file_is_refused_at_start_up_naming_the_field(tmp_path: Path, mutate, problem: str) -> None:  # type: ignore[no-untyped-def]
    members = json.loads(json.dumps(MEMBERS))
    mutate(members)
    path = tmp_path / "members.json"
    path.write_text(json.dumps(members), encoding="utf-8")

    with pytest.raises(ValueError, match=problem) as caught:
        load_members(path)
    assert "11010519491231002X" not in str(caught.value)


def test_the_registry_sandbox_starts_from_the_command_line(members_file: Path) -> None:
    port = free_port()

    with sandbox_process(
        ["registry", "--members", str(members_file)], {"UNIONAID_REGISTRY_SECRET": REGISTRY_SECRET}, port
    ) as url:
        assert httpx.get(f"{url}/health").status_code == 200  # what `unionaid up` waits for
        registry = registry_for(url)
        member = registry.lookup("M-0001")
        registry.close()

    assert member is not None and member.unit_code == "U-0102"
