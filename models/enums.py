"""Enumerations shared by tables and rules. Stored as their string values."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class CaseType(str):
    """The name of a case type: ``hardship``, ``mediation``, ``insurance``, or one registered later.

    An open set, unlike the enums below: a case type is a package (``casetypes/``) that registers
    its name and case-number prefix here, so no table or rule has to list the types. A name not
    registered is refused like an unknown enum value (``ValueError``). Stored as the name.
    """

    __slots__ = ()
    _registered: ClassVar[dict[str, str]] = {}  # name -> prefix, in the order registered
    _instances: ClassVar[dict[str, CaseType]] = {}
    hardship: ClassVar[CaseType]
    mediation: ClassVar[CaseType]
    insurance: ClassVar[CaseType]
    mediation_advance: ClassVar[CaseType]

    def __new__(cls, name: str) -> CaseType:
        if isinstance(name, CaseType):
            return name
        if name not in cls._registered:
            raise ValueError(f"{name!r} is not a registered case type")
        if name not in cls._instances:
            cls._instances[name] = super().__new__(cls, name)
        return cls._instances[name]

    @classmethod
    def register(cls, name: str, prefix: str) -> CaseType:
        """Add a case type; its name and its prefix must both be new (or the same pair again)."""
        if not (name.isascii() and name.isidentifier() and name.islower() and len(name) <= 40):
            raise ValueError(f"case type name {name!r} must be lower-case ASCII letters, digits and _")
        if not (prefix.isascii() and prefix.isalpha() and prefix.isupper() and 2 <= len(prefix) <= 4):
            raise ValueError(f"case number prefix {prefix!r} must be 2 to 4 capital letters")
        owner = next((known for known, p in cls._registered.items() if p == prefix), None)
        if cls._registered.get(name, prefix) != prefix or owner not in (None, name):
            raise ValueError(f"case type {name!r} with prefix {prefix!r} clashes with a registered one")
        cls._registered[name] = prefix
        return cls(name)

    @classmethod
    def known(cls) -> tuple[CaseType, ...]:
        """Every registered type, in the order registered (the order of reports and lists)."""
        return tuple(cls(name) for name in cls._registered)

    @property
    def value(self) -> str:
        return str(self)

    @property
    def prefix(self) -> str:
        """The letters of a case number: ``HA-2026-000123``."""
        return self._registered[self]

    @classmethod
    def from_case_number(cls, case_number: str) -> CaseType:
        prefix = case_number.split("-", 1)[0].upper()
        for name, known in cls._registered.items():
            if known == prefix:
                return cls(name)
        raise ValueError(f"unknown case number prefix {prefix!r}")

    def __repr__(self) -> str:
        return f"CaseType({str(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.plain_serializer_function_ser_schema(str))


CaseType.hardship = CaseType.register("hardship", "HA")
CaseType.mediation = CaseType.register("mediation", "MD")
CaseType.insurance = CaseType.register("insurance", "MI")
# A union wage advance of a mediation case (casetypes/mediation/advance.py): known here too, so
# that any process reading cases knows the type, whether or not it imported the package.
CaseType.mediation_advance = CaseType.register("mediation_advance", "MA")


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
