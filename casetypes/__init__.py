"""The case types unionaid runs, one package each, and the registry the engine asks.

Adding a type is one package beside ``hardship/`` (its spec: see ``casetypes.spec``) and one
line in ``REGISTRY``. The ``case`` flow and the deployments are generated from this registry.
"""

from __future__ import annotations

from casetypes.hardship import HARDSHIP
from casetypes.spec import CaseTypeSpec
from models.enums import CaseType
from models.errors import NotFound

REGISTRY: dict[CaseType, CaseTypeSpec] = {spec.case_type: spec for spec in (HARDSHIP,)}


def spec_for(case_type: CaseType) -> CaseTypeSpec:
    try:
        return REGISTRY[case_type]
    except KeyError:
        raise NotFound(f"case type {case_type.value} is not run by this installation yet") from None
