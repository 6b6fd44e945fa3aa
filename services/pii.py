"""Personal data at rest: keyed hashes for look-ups, Fernet ciphertext for the full value."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import overload

from cryptography.fernet import Fernet, InvalidToken

from models.errors import ConfigurationError
from models.identifiers import keyed_hash
from services.settings import get_settings


def _hash_key() -> bytes:
    return get_settings().pii_hash_key.get_secret_value().encode("utf-8")


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    # Any secret string becomes a valid Fernet key by hashing, so operators can use a passphrase.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest()))


def hash_identifier(normalized: str) -> str:
    return keyed_hash(_hash_key(), normalized)


def encrypt_with(key: str, value: str) -> str:
    """``value`` encrypted with ``key`` (any passphrase; see ``_fernet``)."""
    return _fernet(key).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_with(key: str, token: str, variable: str) -> str:
    """The value ``encrypt_with(key, ...)`` stored; a wrong key is refused naming ``variable``."""
    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigurationError(f"stored secrets cannot be decrypted with {variable}; "
                                 "is it the key they were written with?") from None


def encrypt(value: str) -> str:
    return _fernet(get_settings().pii_encryption_key.get_secret_value()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(get_settings().pii_encryption_key.get_secret_value()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigurationError(
            "stored personal data cannot be decrypted with UNIONAID_PII_ENCRYPTION_KEY; is it the key it was written with?"
        ) from None


@overload
def seal_text(value: str) -> str: ...
@overload
def seal_text(value: None) -> None: ...
def seal_text(value: str | None) -> str | None:
    """Free text as staff typed it, for storing: identifiers masked (``services.masking``), then
    encrypted, since health details written in words cannot be masked by pattern. Empty stays empty."""
    from services.masking import mask_text

    return encrypt(mask_text(value)) if value else value


def open_text(stored: str | None) -> str | None:
    """What ``seal_text`` stored, for a person whose role lets them read it."""
    return decrypt(stored) if stored else stored
