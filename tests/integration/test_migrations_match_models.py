"""The migrations build exactly the tables the models declare, on both databases: a column, an
index or a table added to a model without its migration (or the other way round) fails here."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import models  # noqa: F401  (every table)


def test_a_migrated_database_has_every_table_column_and_index_of_the_models_and_nothing_else(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
