"""The mediation policy file (``config/policy/mediation-sample.toml``): who mediates for which
employers, the periods the enterprise mediation rules leave to the locality, and the thresholds
of union wage advances. Versions by the day a case is received, like the hardship policy.

Rules kept: unknown keys are refused; versions are oldest first with distinct ids and start
dates; the committee is not also a station; a district code is six digits; the extension is at
most the national 15 days; every problem names its key path. Pure: the caller passes the path.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from models.config_files import KeyProblem, read_toml, validate
from models.errors import InputError
from models.policy import ApprovalThresholds, Day

NATIONAL_EXTENSION_MAX_DAYS = 15  # the enterprise mediation rules: at most 15 more days


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Periods(_Model):
    extension_max_days: Annotated[StrictInt, Field(ge=0, le=NATIONAL_EXTENSION_MAX_DAYS)]


class MediationVersion(_Model):
    version: str = Field(min_length=1, max_length=40)
    effective_from: Day
    committee_unit: str = Field(min_length=1, max_length=32)
    station_units: tuple[str, ...] = ()
    jurisdiction: dict[str, str]
    periods: Periods
    advance: ApprovalThresholds

    @field_validator("jurisdiction")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("name at least one district (its 6-digit code and name)")
        for code in value:
            if not (len(code) == 6 and code.isascii() and code.isdigit()):
                raise KeyProblem((code,), "must be a 6-digit district code (GB/T 2260)")
        return value

    @model_validator(mode="after")
    def _bodies(self) -> MediationVersion:
        if len(set(self.station_units)) != len(self.station_units):
            raise KeyProblem(("station_units",), "names a unit twice")
        if self.committee_unit in self.station_units:
            raise KeyProblem(("station_units",), "must not name the committee's unit")
        return self

    def body_for(self, employer_union: str | None) -> str:
        """The unit that mediates for an employer with this grassroots union (or none)."""
        return employer_union if employer_union in self.station_units else self.committee_unit


class MediationPolicy(_Model):
    locality: str
    versions: tuple[MediationVersion, ...]

    @model_validator(mode="after")
    def _ordered(self) -> MediationPolicy:
        if not self.versions:
            raise KeyProblem(("versions",), "list at least one version")
        ids = [v.version for v in self.versions]
        if len(set(ids)) != len(ids):
            raise KeyProblem(("versions",), "two versions have the same id")
        starts = [v.effective_from for v in self.versions]
        if starts != sorted(set(starts)) or len(set(starts)) != len(starts):
            raise KeyProblem(("versions",), "must be listed oldest first, each starting on a later day")
        return self

    def version_on(self, day: date) -> MediationVersion:
        found = [v for v in self.versions if v.effective_from <= day]
        if not found:
            raise InputError("received_on", "falls before every version of the mediation policy")
        return found[-1]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()


def load_mediation_policy(path: str | Path) -> MediationPolicy:
    return validate(MediationPolicy, read_toml(path, "mediation policy file"), what="mediation policy file",
                    list_key="versions", id_field="version")
