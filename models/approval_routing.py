"""Who must approve an amount: pure rules over the policy's thresholds.

Up to the grassroots limit: one approver of the case's own unit (or of the district). Above it:
a district approver. Above the two-approver threshold: two different district approvers.
Above the district limit: nobody may approve it under this policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import UnitLevel
from models.money import format_fen
from models.policy import ApprovalThresholds


@dataclass(frozen=True)
class Route:
    approvers_needed: int
    level: UnitLevel
    refused: str | None = None  # why nobody may approve this amount


def route_for(amount_fen: int, thresholds: ApprovalThresholds | None) -> Route:
    if thresholds is None:
        return Route(1, UnitLevel.grassroots)
    if amount_fen > thresholds.district_limit_fen:
        return Route(0, UnitLevel.district,
                     f"{format_fen(amount_fen)} is above the district limit of {format_fen(thresholds.district_limit_fen)}")
    if amount_fen > thresholds.two_approvers_above_fen:
        return Route(2, UnitLevel.district)
    if amount_fen > thresholds.grassroots_limit_fen:
        return Route(1, UnitLevel.district)
    return Route(1, UnitLevel.grassroots)


def approver_refusal(route: Route, approver_level: UnitLevel, same_unit: bool) -> str | None:
    """Why this approver may not decide on this route, or None."""
    if route.refused:
        return route.refused
    if route.level == UnitLevel.district and approver_level != UnitLevel.district:
        return "this amount needs a district approver"
    if approver_level == UnitLevel.grassroots and not same_unit:
        return "a grassroots approver decides only on cases of their own unit"
    return None
