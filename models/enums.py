"""Enumerations shared by tables and rules. Stored as their string values."""

from enum import StrEnum


class CaseType(StrEnum):
    hardship = "hardship"
    mediation = "mediation"
    insurance = "insurance"

    @property
    def prefix(self) -> str:
        """The letters of a case number: ``HA-2026-000123``."""
        return CASE_NUMBER_PREFIX[self]

    @classmethod
    def from_case_number(cls, case_number: str) -> "CaseType":
        prefix = case_number.split("-", 1)[0].upper()
        for case_type, known in CASE_NUMBER_PREFIX.items():
            if known == prefix:
                return case_type
        raise ValueError(f"unknown case number prefix {prefix!r}")


CASE_NUMBER_PREFIX = {CaseType.hardship: "HA", CaseType.mediation: "MD", CaseType.insurance: "MI"}


class CaseStatus(StrEnum):
    submitted = "submitted"
    verifying = "verifying"
    needs_information = "needs_information"
    awaiting_approval = "awaiting_approval"
    approved = "approved"
    rejected = "rejected"
    payout_pending = "payout_pending"
    paid = "paid"
    closed = "closed"
    withdrawn = "withdrawn"
    # mediation additions (labour-dispute mediation law, arts. 12-16)
    accepted = "accepted"
    in_mediation = "in_mediation"
    agreement_reached = "agreement_reached"
    mediation_failed = "mediation_failed"
    referred_to_arbitration = "referred_to_arbitration"


class Role(StrEnum):
    caseworker = "caseworker"
    approver = "approver"
    mediator = "mediator"
    finance = "finance"
    supervisor = "supervisor"


class UnitLevel(StrEnum):
    grassroots = "grassroots"
    district = "district"


class MembershipStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    left = "left"


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"
