"""Engines and transactions. The only module that knows how to open a database.

SQLite (the embedded default) gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE``
so that concurrent writers queue instead of failing half-way; PostgreSQL is used as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from services.settings import get_settings


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    # hide_parameters: a database error's text (a log, cli-errors.log) never carries the values bound
    # into its statement: names, health text, an unmasked number typed in the wrong field.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front: two deferred transactions that both read and then
        # write would otherwise deadlock and one would fail with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().effective_database_url)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commits when the block ends normally, rolls back on any exception.

    An exception may carry ``after_rollback``, what must be written although its transaction is
    not (a wrong one-time code is counted, ``services.auth``): it runs in a transaction of its
    own once this one is rolled back."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        session.close()
        follow_up = getattr(exc, "after_rollback", None)
        if follow_up is not None:
            exc.after_rollback = None  # type: ignore[attr-defined]  # an enclosing transaction must not write it again
            with transaction(engine) as again:
                follow_up(again)
        raise
    finally:
        session.close()
