"""Time helpers: we store UTC, we show Asia/Shanghai (configurable).

Every "now" of the engine comes from ``utcnow()``, which reads an injectable source: tests (and
a by-hand rerun of a past day) move the clock with ``time_fixed_at``, never the wall time.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _wall_clock


def utcnow() -> datetime:
    return _source()


@contextmanager
def time_fixed_at(at: datetime) -> Iterator[None]:
    """Inside the block every ``utcnow()`` is ``at`` (which must carry its time zone)."""
    global _source
    if at.tzinfo is None:
        raise ValueError("time_fixed_at needs an aware datetime")
    previous, _source = _source, (lambda: at.astimezone(UTC))
    try:
        yield
    finally:
        _source = previous


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
