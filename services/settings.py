"""One settings object for unionaid, read from ``UNIONAID_*`` variables and an optional ``.env``.

Placeholder secrets work in development and tests only; anywhere else they are refused with
the name of the variable to set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.errors import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_PREFIX = "dev-only-"
SECRETS = ("pii_hash_key", "pii_encryption_key", "staff_secret_key", "audit_key", "audit_signing_key",
           "payment_secret", "registry_secret")
MIN_SECRET_LENGTH = 32  # outside development: what `secrets.token_urlsafe(24)` or more gives
MIN_SECRET_KINDS = 12  # distinct characters: refuses "aaaa…" and "1234…1234"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="UNIONAID_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=REPO_ROOT / "var", description="where the SQLite files, Prefect home and reports live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite file in data_dir")
    timezone: str = "Asia/Shanghai"
    policy_file: Path = REPO_ROOT / "config" / "policy" / "hardship-sample.toml"
    plan_file: Path = REPO_ROOT / "config" / "plan" / "2026-sample.toml"
    mediation_policy_file: Path = REPO_ROOT / "config" / "policy" / "mediation-sample.toml"
    insurance_product_file: Path = REPO_ROOT / "config" / "products" / "insurance-sample.toml"

    # Keyed hash for resident-ID look-ups, and the key that encrypts personal data at rest.
    pii_hash_key: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "pii-hash-key-change-me-0000000000")
    pii_encryption_key: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "Z2V0LWEtcmVhbC1rZXktZm9yLXByb2R1Y3Rpb24hISE=")

    # Encrypts each staff member's one-time-code secret (services.auth): kept apart from the
    # personal-data key, so that whoever reads personal data still cannot make codes.
    staff_secret_key: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "staff-secret-key-change-me-000000")

    # The key of the audit chain's HMAC, and the Ed25519 key (any passphrase; its SHA-256 is the
    # seed) that signs the checkpoints of the chain's head published outside the database.
    audit_key: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "audit-chain-key-change-me-000000000")
    audit_signing_key: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "audit-signing-key-change-me-0000000")

    payment_url: str = "http://127.0.0.1:4301"
    payment_merchant_id: str = "unionaid-district"
    payment_secret: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "payment-secret")
    registry_url: str = "http://127.0.0.1:4302"
    registry_secret: SecretStr = SecretStr(PLACEHOLDER_PREFIX + "registry-secret")

    prefect_host: str = "127.0.0.1"
    prefect_port: int = 4200

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        if self.environment in ("development", "test"):
            return self
        for name in SECRETS:
            value: SecretStr = getattr(self, name)
            if value.get_secret_value().startswith(PLACEHOLDER_PREFIX):
                raise ConfigurationError(
                    f"UNIONAID_{name.upper()} still holds the development placeholder; "
                    f"set UNIONAID_{name.upper()} to a real secret before running in {self.environment}"
                )
            if len(set(value.get_secret_value())) < MIN_SECRET_KINDS or len(value.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ConfigurationError(
                    f"UNIONAID_{name.upper()} is too weak for {self.environment}: use at least "
                    f"{MIN_SECRET_LENGTH} random characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'unionaid.db'}"

    @property
    def prefect_home(self) -> Path:
        return self.data_dir / "prefect"

    @property
    def prefect_api_url(self) -> str:
        return f"http://{self.prefect_host}:{self.prefect_port}/api"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ConfigurationError:
        raise
    except ValueError as exc:  # pydantic's ValidationError: name the variables, not the values
        names = ", ".join(
            "UNIONAID_" + ".".join(str(p) for p in err["loc"]).upper() for err in getattr(exc, "errors", lambda: [])()
        )
        raise ConfigurationError(f"invalid settings: {names or exc.__class__.__name__}") from None


def local_today() -> date:
    """Today in the federation's time zone (Asia/Shanghai by default)."""
    return datetime.now(UTC).astimezone(get_settings().zone).date()
