"""What a case type declares, and what the engine asks of it.

The engine never branches on a case type. The driver (``casetypes.driver``, run by the ``case``
flow) looks the type up in the registry (``casetypes``) and asks its spec which step carries a
case on from its stored status. A spec is data and small functions:

- ``intake_flow``: the Prefect flow whose run form is the type's intake form (the CLI reads the
  same typed model);
- ``steps``: for each stored status, the step that carries the case on from it. A status with
  no step is one the case rests in (closed, rejected, needs information, …) until a person or
  another run moves it.

A step is called with the case number and its status and answers with a ``Progress``: the status
the case stands in after it, and whether the case now waits (for a person, a document, a clock,
another run), which ends the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models.enums import CaseStatus, CaseType


@dataclass(frozen=True)
class Progress:
    status: CaseStatus
    waits: bool = False


Step = Callable[[str, CaseStatus], Progress]


@dataclass(frozen=True)
class CaseTypeSpec:
    case_type: CaseType
    title: str
    intake_flow: Any
    steps: Mapping[CaseStatus, Step]

    def step_for(self, status: CaseStatus) -> Step | None:
        return self.steps.get(status)
