"""Fixtures for the sandbox integration tests: real servers on real sockets, real adapters.

Import the fixtures you use explicitly (``from tests.integration.conftest_sandbox import
payment_sandbox_fixture``): this file is not a ``conftest.py`` on purpose, so it loads only where
it is asked for. Fixture functions end in ``_fixture`` and register under the short name
(``payment_sandbox``, ``provider``), so the import does not shadow the test's parameter. Import
``payment_server_fixture`` too: ``payment_sandbox`` resets the module's one server per test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from stdnum import luhn

from models.identifiers import keyed_hash
from sandbox.payment import Faults, create_app
from sandbox.registry import create_app as registry_app
from sandbox.registry import load_members
from sandbox.testing import running_server
from services.payment_provider import HttpPaymentProvider
from services.registry_client import HttpMembershipRegistry

MERCHANT_ID = "union-test"
PAYMENT_SECRET = "payment-test-secret"
REGISTRY_SECRET = "registry-test-secret"
REPO_ROOT = Path(__file__).resolve().parents[2]

# Short timeouts keep fault tests fast; the sandbox's hang (5 s) still far outlasts the read timeout.
TEST_TIMEOUT = httpx.Timeout(connect=1.0, read=0.5, write=1.0, pool=1.0)
HANG_MS = 5_000
PII_KEY = b"test-pii-hash-key"
MEMBERS = [
    {
        "member_number": number,
        "status": status,
        "unit_code": "U-0102",
        "join_date": "2019-03-01",
        "name": name,
        "resident_id_hash": keyed_hash(PII_KEY, resident_id),
    }
    for number, status, name, resident_id in [
        ("M-0001", "active", "王芳", "11010519491231002X"),
        ("M-0002", "suspended", "李强", "110105194912310037"),
        ("M-0003", "left", "赵敏", "110105194912310053"),
    ]
]


def card(prefix: str) -> str:
    """A Luhn-valid 19-digit test card built from an 18-digit prefix."""
    return prefix + luhn.calc_check_digit(prefix)


@dataclass
class PaymentSandboxRun:
    """A running payment sandbox and its (unsigned) admin endpoints."""

    base_url: str
    admin: httpx.Client
    db_path: Path

    def set_faults(self, **knobs: Any) -> dict[str, Any]:
        response = self.admin.post("/sandbox/faults", json=knobs)
        response.raise_for_status()
        return response.json()

    def counts(self, reference: str | None = None) -> dict[str, Any]:
        params = {"reference": reference} if reference else None
        return self.admin.get("/sandbox/transfers/count", params=params).json()


def adapter_for(base_url: str, **kwargs: Any) -> HttpPaymentProvider:
    client = httpx.Client(timeout=TEST_TIMEOUT, follow_redirects=False)
    return HttpPaymentProvider(
        client, base_url, kwargs.pop("merchant_id", MERCHANT_ID), kwargs.pop("secret", PAYMENT_SECRET), **kwargs
    )


@pytest.fixture(name="payment_server", scope="module")
def payment_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaymentSandboxRun]:
    """One sandbox per test module (starting and stopping a server costs ~0.2 s)."""
    db_path = tmp_path_factory.mktemp("payment") / "sandbox-payment.db"
    app = create_app(db_path, merchant_id=MERCHANT_ID, secret=PAYMENT_SECRET, faults=Faults(hang_ms=HANG_MS))
    with running_server(app) as base_url, httpx.Client(base_url=base_url, timeout=5.0) as admin:
        yield PaymentSandboxRun(base_url, admin, db_path)


@pytest.fixture(name="payment_sandbox")
def payment_sandbox_fixture(payment_server: PaymentSandboxRun) -> PaymentSandboxRun:
    """The module's sandbox, reset: no transfers, no nonces, the starting fault knobs."""
    payment_server.admin.post("/sandbox/reset").raise_for_status()
    return payment_server


@pytest.fixture(name="provider")
def provider_fixture(payment_sandbox: PaymentSandboxRun) -> Iterator[HttpPaymentProvider]:
    adapter = adapter_for(payment_sandbox.base_url)
    yield adapter
    adapter.close()


@pytest.fixture(name="members_file", scope="module")
def members_file_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry file with one member in each status."""
    path = tmp_path_factory.mktemp("registry") / "registry-members.json"
    path.write_text(json.dumps(MEMBERS, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(name="registry_sandbox", scope="module")
def registry_sandbox_fixture(members_file: Path) -> Iterator[str]:
    app = registry_app(load_members(members_file), secret=REGISTRY_SECRET)
    with running_server(app) as base_url:
        yield base_url


def registry_for(base_url: str, **kwargs: Any) -> HttpMembershipRegistry:
    client = httpx.Client(timeout=TEST_TIMEOUT, follow_redirects=False)
    return HttpMembershipRegistry(client, base_url, kwargs.pop("secret", REGISTRY_SECRET), **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def sandbox_process(args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """``python -m sandbox ...`` as a real process; yields its base URL once it answers."""
    import tempfile

    from sandbox.testing import sandbox_process as run_sandbox

    with tempfile.TemporaryDirectory() as logs:
        kind, *rest = args
        with run_sandbox(kind, *rest, log_path=Path(logs) / "sandbox.log", port=port,
                         env={"UNIONAID_ENVIRONMENT": "test", **env}) as url:
            yield url
