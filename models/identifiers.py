"""Personal identifiers: validation, normalisation, masking and keyed hashing. Pure, no I/O.

Rules kept:
- Resident ID (GB 11643-1999): 18 characters, birth date valid, ISO 7064 MOD 11-2 check
  character; lowercase ``x`` accepted; 15-digit numbers of the first generation are converted.
- Mobile: 11 digits, ``1[3-9]`` then 9 digits. Bank card: 12-19 digits with a Luhn check.
Errors name the field and the rule, never the value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from stdnum import luhn
from stdnum.cn import ric

from models.errors import InputError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character resident ID and what it says about its holder."""

    number: str
    birth_date: date
    gender: str  # "M" or "F": odd sequence digit = male

    @property
    def masked(self) -> str:
        return mask_resident_id(self.number)


def convert_15_to_18(number: str) -> str:
    """First-generation IDs: insert the century ``19`` and append the check character."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a check position


def parse_resident_id(value: str, field: str = "resident_id") -> ResidentId:
    cleaned = re.sub(r"\s", "", str(value or "")).upper()
    if not cleaned:
        raise InputError(field, "is required")
    if len(cleaned) == 15 and cleaned.isdigit():
        cleaned = convert_15_to_18(cleaned)
    if len(cleaned) != 18:
        raise InputError(field, "must be 18 characters (or a 15-digit first-generation number)")
    if not (cleaned[:17].isdigit() and (cleaned[17].isdigit() or cleaned[17] == "X")):
        raise InputError(field, "must be 17 digits followed by a digit or X")
    if ric.calc_check_digit(cleaned) != cleaned[17]:
        raise InputError(field, "check character does not match (ISO 7064 MOD 11-2)")
    # Our own date rule: stdnum refuses births before 1900, which real (old) IDs carry.
    try:
        birth = date(int(cleaned[6:10]), int(cleaned[10:12]), int(cleaned[12:14]))
    except ValueError:
        raise InputError(field, "birth date part is not a valid date") from None
    if not 1850 <= birth.year or birth > date.today():
        raise InputError(field, "birth date part is out of range")
    gender = "M" if int(cleaned[16]) % 2 == 1 else "F"
    return ResidentId(number=cleaned, birth_date=birth, gender=gender)


def mask_resident_id(number: str) -> str:
    """``110105********002X``: area code and the last four characters stay."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize_mobile(value: str, field: str = "mobile") -> str:
    cleaned = re.sub(r"[\s-]", "", str(value or ""))
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if not _MOBILE.match(cleaned):
        raise InputError(field, "must be an 11-digit mainland mobile number starting 13-19")
    return cleaned


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def normalize_bank_card(value: str, field: str = "bank_card") -> str:
    cleaned = re.sub(r"[\s-]", "", str(value or ""))
    if not cleaned.isdigit() or not 12 <= len(cleaned) <= 19:
        raise InputError(field, "must be 12 to 19 digits")
    if not luhn.is_valid(cleaned):
        raise InputError(field, "fails the Luhn check; a digit is probably mistyped")
    return cleaned


def mask_bank_card(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def keyed_hash(key: bytes, normalized: str) -> str:
    """HMAC-SHA256 of a normalised identifier: look-ups without storing or sending it in clear."""
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()
