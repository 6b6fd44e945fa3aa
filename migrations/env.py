"""Alembic environment: migrations run on SQLModel.metadata, on SQLite and PostgreSQL alike."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from services.db import make_engine
from services.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table (copy, drop, rename): with foreign keys enforced the
        # drop fails once other rows refer to it. SQLite only takes this switch outside a
        # transaction; every key is checked once the migrations are done.
        if connection.in_transaction():
            connection.commit()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration left {len(broken)} rows whose foreign keys point nowhere, "
                                   f"first in table {broken[0][0]}; nothing was changed")
        if connection.in_transaction():
            connection.commit()
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


run_migrations()
