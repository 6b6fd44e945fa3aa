"""What a case type declares, and what the engine asks of it.

The engine never branches on a case type. The driver (``casetypes.driver``, run by the ``case``
flow) looks the type up in the registry (``casetypes``) and asks its spec which step carries a
case on from its stored status. A spec is data and small functions:

- ``intake_flow``: the Prefect flow whose run form is the type's intake form; ``files``: how the
  CLI reads the same typed form from files (``unionaid intake <type> FILE``);
- ``moves``: the type's table of moves (rows of ``models.transitions``), when it is not one of
  the three built-in types whose tables ``models.transitions`` holds; ``thresholds``: where its
  approval route finds its thresholds (without: one approver of the case's own unit decides);
  ``clocks``: its deadlines (``models.clocks.Clock``), likewise for a type registered later;
  ``payment_plan``: from the decided case, what it owes and is owed (``services.obligations``;
  without one, the approved amount is paid to the applicant at once);
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
from pathlib import Path
from typing import Any

from models.clocks import Clock
from models.enums import CaseStatus, CaseType
from models.errors import FieldProblem
from models.identity import Actor
from models.transitions import Transition
from services.approvals import ThresholdFinder
from services.obligations import PaymentPlan


@dataclass(frozen=True)
class Progress:
    status: CaseStatus
    waits: bool = False


Step = Callable[[str, CaseStatus], Progress]


@dataclass(frozen=True)
class IntakeFiles:
    """How the CLI takes applications of the type: the form's JSON schema, the reader of a file
    (JSON or CSV: the forms by row, and every problem by row and field) and the service that
    stores one form as a case, submitted by the staff member who proves who they are (an
    ``Actor``), and returns its number."""

    schema: Callable[[], dict[str, Any]]
    read: Callable[[Path], tuple[list[tuple[int, Any]], list[FieldProblem]]]
    store: Callable[[Any, Actor], str]


@dataclass(frozen=True)
class MoreDeployment:
    """A flow of the type beside its intake and case runs (e.g. insurance's claims batch): served
    as ``<flow name>/<name>``, tagged with the type."""

    flow: Any
    name: str
    description: str


@dataclass(frozen=True)
class CaseTypeSpec:
    case_type: CaseType
    title: str
    intake_flow: Any
    files: IntakeFiles
    steps: Mapping[CaseStatus, Step]
    moves: tuple[Transition, ...] = ()
    thresholds: ThresholdFinder | None = None
    clocks: tuple[Clock, ...] = ()
    payment_plan: PaymentPlan | None = None
    deployments: tuple[MoreDeployment, ...] = ()

    def step_for(self, status: CaseStatus) -> Step | None:
        return self.steps.get(status)
