"""Test set-up: an isolated data directory, and databases that are real.

Every database test runs on SQLite, and also on PostgreSQL when ``UNIONAID_TEST_DATABASE_URL``
points at one (each test gets its own schema, dropped afterwards). With
``UNIONAID_REQUIRE_POSTGRES=1`` (CI), an unreachable PostgreSQL fails the run instead of skipping.

Nothing a test does reaches a fixed port or a shared home: the data directory and the Prefect
home are this session's own, and the payment provider, the registry and the Prefect server are
configured to addresses that refuse connections (a port this session holds without listening),
so a test that forgets to start its own sandbox fails at once instead of talking to whatever
answers on 127.0.0.1:4301, 4302 or 4200. Subprocesses inherit all of it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _refusing_port() -> socket.socket:
    """A port bound and never listened on: connecting to it is refused at once, and while this
    session holds it no other process can take it (so nothing ever answers there)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


_DATA_DIR = Path(tempfile.mkdtemp(prefix="unionaid-tests-"))
_NOWHERE = _refusing_port()
NOWHERE_URL = f"http://127.0.0.1:{_NOWHERE.getsockname()[1]}"
os.environ["UNIONAID_ENVIRONMENT"] = "test"
os.environ["UNIONAID_DATA_DIR"] = str(_DATA_DIR)
# Empty, not unset: a developer's .env in the checkout must not point tests at a real database.
os.environ["UNIONAID_DATABASE_URL"] = ""
# Not the defaults 4301, 4302 and 4200 that `make up` (or anything else) may be listening on.
os.environ["UNIONAID_PAYMENT_URL"] = NOWHERE_URL
os.environ["UNIONAID_REGISTRY_URL"] = NOWHERE_URL
os.environ["UNIONAID_PREFECT_PORT"] = str(_NOWHERE.getsockname()[1])
os.environ["PREFECT_HOME"] = str(_DATA_DIR / "prefect")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.pop("PREFECT_API_URL", None)

import pytest  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.db import make_engine  # noqa: E402
from services.migrate import upgrade  # noqa: E402

PG_URL = os.environ.get("UNIONAID_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("UNIONAID_REQUIRE_POSTGRES") == "1"


_OWNER_PID = os.getpid()


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    # Under mutation testing (make mutate) each mutant's session runs in a process forked from
    # the one that set this directory up, two at a time: only a plain run may remove it.
    if os.getpid() == _OWNER_PID and "MUTANT_UNDER_TEST" not in os.environ:
        shutil.rmtree(_DATA_DIR, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    """The figures tests record (``record_property("figures", ...)``, e.g. the payout chaos counts),
    at the end of the run: a test process of pytest-xdist cannot print to the terminal itself."""
    lines = [value for outcome in ("passed", "failed") for report in terminalreporter.stats.get(outcome, [])
             if report.when == "call" for name, value in report.user_properties if name == "figures"]
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)


# Test files that pin down a mutated module whose name they do not carry.
_MUTATION_RELATED = {"cases": ("transitions", "intake", "concurrency"), "ledger": ("ledger", "payouts", "obligations"),
                     "audit": ("audit", "tamper", "decision_records")}


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """Under mutation testing, run first the tests most likely to notice the mutant: those of
    files named after the mutated module, then the fastest (mutmut stops at the first failure, and
    otherwise hands the tests over in no particular order). Which tests run is mutmut's choice;
    only their order changes, and every test stands alone."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" not in mutant:
        return
    stem = mutant.split("__mutmut_")[0].split(".x")[0].rsplit(".", 1)[-1]
    names = (stem, *_MUTATION_RELATED.get(stem, ()))
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text(encoding="utf-8"))["duration_by_test"]
    except (OSError, ValueError, KeyError):
        durations = {}
    items.sort(key=lambda item: (not any(n in item.path.name for n in names),
                                 durations.get(item.nodeid, 0.0)))


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    """One migrated SQLite file; each test gets a copy (fast, and still the real migrations).

    It lives in this process's data directory, so the sessions mutation testing forks from this
    process (one per mutant) copy it instead of migrating again."""
    path = _DATA_DIR / "template.db"
    if not path.exists():
        building = path.with_suffix(f".{os.getpid()}.building")
        engine = make_engine(f"sqlite:///{building}")
        upgrade(engine)
        engine.dispose()
        building.replace(path)
    return path


def _postgres_available() -> str | None:
    if not PG_URL:
        return "PostgreSQL tests skipped: set UNIONAID_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} unreachable: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_problem() -> str | None:
    return _postgres_available()


def require_postgres(problem: str | None) -> None:
    """Skip a PostgreSQL variant with the reason, or fail it when CI requires PostgreSQL."""
    if problem:
        if REQUIRE_PG:
            pytest.fail(problem)
        pytest.skip(problem)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A schema of its own in the test PostgreSQL, dropped afterwards. Yields a URL that selects
    it (``?options=-csearch_path=...``, which psycopg passes to the server), so the services and
    any subprocess given the URL as ``UNIONAID_DATABASE_URL`` land in the same schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
           postgres_problem: str | None) -> Iterator[Engine]:
    """A freshly migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "unionaid.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    require_postgres(postgres_problem)
    with postgres_schema() as url:
        eng = create_engine(url, pool_size=20, max_overflow=20)
        try:
            upgrade(eng)
            yield eng
        finally:
            eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path,
                 postgres_problem: str | None) -> Iterator[str]:
    """A freshly migrated database of each kind, as the URL the services read from
    ``UNIONAID_DATABASE_URL`` (for tests of the CLI and of flows, in this process or in others).
    Whoever opens engines on it disposes of them before the test ends."""
    if request.param == "sqlite":
        path = tmp_path / "unionaid.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    require_postgres(postgres_problem)
    with postgres_schema() as url:
        eng = make_engine(url)
        try:
            upgrade(eng)
        finally:
            eng.dispose()
        yield url


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "unionaid.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _codes_on_the_real_clock():
    """Each test starts with the one-time codes' clock on the engine's clock (``fresh_code`` may
    move it on within a test)."""
    from models.time import utcnow
    from services import auth

    yield
    auth.clock = utcnow
