r"""Personal identifiers: validation, normalisation, masking and keyed hashing. Pure, no I/O.

Rules kept:
- Resident ID (GB 11643-1999): 18 characters, birth date valid, ISO 7064 MOD 11-2 check
  character; lowercase ``x`` accepted; 15-digit numbers of the first generation are converted.
- Mobile: 11 digits, ``1[3-9]`` then 9 digits. Bank card: 12-19 digits with a Luhn check.
- Every identifier is NFKC-normalised first (full-width ``１`` and superscript ``²`` are the digits
  they show), then only ASCII digits count: ``str.isdigit`` and ``\d`` would take Arabic-Indic or
  other scripts' digits, and the same person's number written two ways would hash two ways.
Errors name the field and the rule, never the value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from stdnum import luhn
from stdnum.cn import ric

from models.errors import InputError

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_ID_18 = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_15 = re.compile(r"^[0-9]{15}$")
_CARD_DIGITS = re.compile(r"^[0-9]{12,19}$")


def _normalised(value: object, separators: str = r"\s") -> str:
    """NFKC, then without the separators people type between groups."""
    return re.sub(separators, "", unicodedata.normalize("NFKC", str(value or "")))


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
    cleaned = _normalised(value).upper()
    if not cleaned:
        raise InputError(field, "is required")
    if _ID_15.match(cleaned):
        cleaned = convert_15_to_18(cleaned)
    if len(cleaned) != 18:
        raise InputError(field, "must be 18 characters (or a 15-digit first-generation number)")
    if not _ID_18.match(cleaned):
        raise InputError(field, "must be 17 digits (0-9) followed by a digit or X")
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
    cleaned = _normalised(value, r"[\s-]")
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if not _MOBILE.match(cleaned):
        raise InputError(field, "must be an 11-digit mainland mobile number starting 13-19")
    return cleaned


def mask_mobile(number: str) -> str:
    return number[:3] + "****" + number[-4:]


def normalize_bank_card(value: str, field: str = "bank_card") -> str:
    cleaned = _normalised(value, r"[\s-]")
    if not _CARD_DIGITS.match(cleaned):
        raise InputError(field, "must be 12 to 19 digits")
    if not luhn.is_valid(cleaned):
        raise InputError(field, "fails the Luhn check; a digit is probably mistyped")
    return cleaned


def mask_bank_card(number: str) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def keyed_hash(key: bytes, normalized: str) -> str:
    """HMAC-SHA256 of a normalised identifier: look-ups without storing or sending it in clear."""
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()
