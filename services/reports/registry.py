"""Where sections and measures are registered: a case type adds its own without touching the others.

- ``register_section(key, case_type=...)``: a function ``(ReportContext) -> Section | None``. The
  report shows the sections in registration order (the shared ones first). A case type that has no
  registered section simply has none in the report: nothing is shown for data that does not exist.
- ``register_measure(name)``: a function ``(ReportContext, argument) -> int | None`` counting a plan
  target's actual (``argument`` is what follows the colon in ``insurance_covered:major_illness``).
  A measure nobody registered, or one that returns None, is shown as "no data", never as zero.
- ``register_approval_wait_limit(case_type)``: a function ``(ReportContext) -> (days, where from)``
  for a case type whose policy sets how long an approval may wait; else the default applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from models.enums import CaseType
from models.plan import MEASURES as KNOWN_MEASURES

if TYPE_CHECKING:
    from services.reports.context import ReportContext
    from services.reports.model import Section

SectionBuilder = Callable[["ReportContext"], "Section | None"]
Measure = Callable[["ReportContext", "str | None"], "int | None"]
WaitLimit = Callable[["ReportContext"], tuple[int, str]]
_Builder = TypeVar("_Builder", bound=SectionBuilder)

_KEY = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


@dataclass(frozen=True)
class SectionEntry:
    key: str
    build: SectionBuilder
    case_type: CaseType | None


SECTIONS: dict[str, SectionEntry] = {}
MEASURES: dict[str, Measure] = {}
APPROVAL_WAIT_LIMITS: dict[CaseType, WaitLimit] = {}


def register_section(key: str, *, case_type: CaseType | None = None) -> Callable[[_Builder], _Builder]:
    """Add a section; ``key`` (lower-case, digits, dashes) names its sheet, CSV file and artifact."""
    if not _KEY.match(key):
        raise ValueError(f"section key {key!r}: use lower-case letters, digits and dashes (it names files and artifacts)")

    def add(build: _Builder) -> _Builder:
        if key in SECTIONS:
            raise ValueError(f"section {key!r} is registered already")
        SECTIONS[key] = SectionEntry(key, build, case_type)
        return build

    return add


def register_measure(name: str) -> Callable[[Measure], Measure]:
    """Give a plan measure its data source; the name must be one ``models.plan.MEASURES`` knows."""
    if name not in KNOWN_MEASURES:
        raise ValueError(f"measure {name!r} is not one the plan file knows ({', '.join(KNOWN_MEASURES)})")

    def add(measure: Measure) -> Measure:
        if name in MEASURES:
            raise ValueError(f"measure {name!r} is registered already")
        MEASURES[name] = measure
        return measure

    return add


def register_approval_wait_limit(case_type: CaseType) -> Callable[[WaitLimit], WaitLimit]:
    def add(limit: WaitLimit) -> WaitLimit:
        APPROVAL_WAIT_LIMITS[case_type] = limit
        return limit

    return add
