"""Column helpers shared by the tables."""

from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from models.enums import CaseType
from models.time import utcnow


def enum_field(enum_cls: type[Enum], **kwargs: Any) -> Any:
    """An enum stored as its string value in a VARCHAR: no native database enum type, so a case
    type can add a status without a schema migration (the transition table is the guard)."""
    return Field(
        sa_type=sa.Enum(enum_cls, native_enum=False, create_constraint=False, length=40,
                        values_callable=lambda members: [m.value for m in members]),
        **kwargs,
    )


class CaseTypeColumn(sa.types.TypeDecorator[CaseType]):
    """A case type stored as its name in a VARCHAR(40), read back as a ``CaseType``: the same
    column as the enums', so a new type needs no schema migration."""

    impl = sa.String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(CaseType(value))

    def process_result_value(self, value: Any, dialect: Any) -> CaseType | None:
        return None if value is None else CaseType(value)


def case_type_field(**kwargs: Any) -> Any:
    return Field(sa_type=CaseTypeColumn, **kwargs)


def timestamp_field(nullable: bool = False) -> Any:
    """A UTC timestamp column (timezone-aware); set to now on creation unless it may be empty."""
    return Field(default_factory=utcnow if not nullable else None,
                 sa_column=sa.Column(sa.DateTime(timezone=True), nullable=nullable))
