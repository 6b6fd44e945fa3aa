"""Union units and the staff who work in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, DateTime
from sqlmodel import Field, SQLModel

from models.columns import enum_field
from models.enums import Role, UnitLevel
from models.time import utcnow


class Unit(SQLModel, table=True):
    """A grassroots union (基层工会) or the district federation (区总工会)."""

    __tablename__ = "unit"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=200)
    level: UnitLevel = enum_field(UnitLevel)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")


class StaffBase(SQLModel):
    staff_number: str = Field(unique=True, index=True, max_length=32)
    name: str = Field(max_length=100)
    roles: str = Field(description="comma-separated roles, e.g. 'caseworker,approver'", max_length=200)
    approval_limit_fen: int = Field(default=0, ge=0)
    active: bool = True


class Staff(StaffBase, table=True):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("approval_limit_fen >= 0", name="ck_staff_limit_nonneg"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set


class StaffCredential(SQLModel, table=True):
    """A staff member's one-time-code secret (RFC 6238), encrypted with a key that lives outside
    the database, and what keeps each code to one use: the time step of the last code accepted.
    Failed attempts are counted; at ``services.auth.LOCK_AFTER`` the account locks until a
    supervisor unlocks it. Revoked, it proves nothing until enrolled again."""

    __tablename__ = "staff_credential"
    __table_args__ = (CheckConstraint("failed_attempts >= 0", name="ck_staff_credential_failures"),)

    staff_id: int = Field(primary_key=True, foreign_key="staff.id")
    secret_encrypted: str = Field(max_length=400)
    enrolled_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_step: int | None = None
    failed_attempts: int = 0
    locked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
