"""The case types unionaid runs, one package each, and the registry the engine asks.

Adding a type is one package beside ``hardship/`` (its spec: see ``casetypes.spec``) and one
``register(...)`` line below. The ``case`` flow and the deployments are generated from this registry.
"""

from __future__ import annotations

from casetypes.hardship import HARDSHIP
from casetypes.insurance import INSURANCE
from casetypes.mediation import MEDIATION
from casetypes.mediation.advance_spec import ADVANCE_SPEC
from casetypes.spec import CaseTypeSpec
from models.clocks import clocks_refusal, register_clocks
from models.enums import CaseType
from models.errors import NotFound
from models.transitions import moves_refusal, register_moves
from services.approvals import register_thresholds, thresholds_refusal
from services.guards import unknown_guards
from services.obligations import plan_refusal, register_plan

REGISTRY: dict[CaseType, CaseTypeSpec] = {}


def register(spec: CaseTypeSpec) -> CaseTypeSpec:
    """Run a case type: its moves, approval thresholds, clocks and payment plan where it brings its own, and its spec
    for the driver. Registering the same spec again changes nothing; another spec for the same
    type is refused."""
    registered = REGISTRY.get(spec.case_type)
    if registered is spec:
        return spec
    if registered is not None:
        raise ValueError(f"case type {spec.case_type.value} is registered already")
    unknown = unknown_guards(spec.moves)
    refusals = [why for why in (moves_refusal(spec.case_type, spec.moves) if spec.moves else None,
                                f"its moves name guards nobody registered: {', '.join(unknown)}" if unknown else None,
                                thresholds_refusal(spec.case_type, spec.thresholds) if spec.thresholds else None,
                                clocks_refusal(spec.case_type, spec.clocks) if spec.clocks else None,
                                plan_refusal(spec.case_type, spec.payment_plan) if spec.payment_plan else None)
                if why]
    if refusals:  # checked whole before anything is stored: a refused spec leaves nothing behind
        raise ValueError("; ".join(refusals))
    if spec.moves:
        register_moves(spec.case_type, spec.moves)
    if spec.thresholds is not None:
        register_thresholds(spec.case_type, spec.thresholds)
    if spec.clocks:
        register_clocks(spec.case_type, spec.clocks)
    if spec.payment_plan is not None:
        register_plan(spec.case_type, spec.payment_plan)
    REGISTRY[spec.case_type] = spec
    return spec


register(HARDSHIP)
register(MEDIATION)
register(ADVANCE_SPEC)
register(INSURANCE)


def spec_for(case_type: CaseType) -> CaseTypeSpec:
    try:
        return REGISTRY[case_type]
    except KeyError:
        raise NotFound(f"case type {case_type.value} is not run by this installation yet") from None
