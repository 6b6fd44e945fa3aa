"""Flows run against a real (temporary) Prefect server and a real database: SQLite, and
PostgreSQL when ``UNIONAID_TEST_DATABASE_URL`` is set (each test in its own schema)."""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from devtools.demo import write_registry_seed
from sandbox import payment, registry
from sandbox.testing import running_server
from services import db as db_module
from services import ledger
from services.settings import get_settings
from tests import factories


@pytest.fixture(scope="session")
def prefect_server():
    # The heartbeat costs ~1 s at the end of every sync flow run; tests do not need it.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield


@pytest.fixture
def flow_db(prefect_server, database_url, monkeypatch, tmp_path):
    """Point the services' default engine at a fresh migrated database of each kind (flows,
    their tasks and any process a test starts find it through ``UNIONAID_DATABASE_URL``)."""
    monkeypatch.setenv("UNIONAID_DATABASE_URL", database_url)
    # A data directory of its own: the audit checkpoints published there belong to this database.
    monkeypatch.setenv("UNIONAID_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    db_module._engine_for.cache_clear()
    yield db_module.get_engine()
    db_module.get_engine().dispose()  # before the PostgreSQL schema is dropped
    get_settings.cache_clear()
    db_module._engine_for.cache_clear()


@pytest.fixture
def services_up(flow_db, tmp_path, monkeypatch):
    """Our database seeded (organisation, members, programmes), and both sandboxes running on real sockets, wired through settings."""
    factories.world(flow_db, tmp_path)
    from models.enums import CaseType

    ledger.add_programme("HA-LIVING", "Living relief", CaseType.hardship, 2025, 1_000_000, engine=flow_db)
    ledger.add_programme("HA-MEDICAL", "Medical relief", CaseType.hardship, 2026, 1_000_000, engine=flow_db)
    factories.enrol(flow_db, "SU1", "CW1", "CW2", "AP1", "FI1", "MD1")  # set up: codes from now on
    seed = tmp_path / "registry.json"
    write_registry_seed(seed, engine=flow_db)
    settings = get_settings()
    pay = payment.create_app(":memory:", merchant_id=settings.payment_merchant_id,
                             secret=settings.payment_secret.get_secret_value())
    reg = registry.create_app(registry.load_members(seed), secret=settings.registry_secret.get_secret_value())
    with running_server(pay) as pay_url, running_server(reg) as reg_url:
        monkeypatch.setenv("UNIONAID_PAYMENT_URL", pay_url)
        monkeypatch.setenv("UNIONAID_REGISTRY_URL", reg_url)
        get_settings.cache_clear()
        yield flow_db
    get_settings.cache_clear()
