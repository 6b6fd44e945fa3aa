"""Masks personal identifiers in free text, and a logging filter that applies it everywhere.

Resident IDs (18 or 15 digits), bank cards (12-19 digits passing Luhn) and mobile numbers are
masked wherever they appear in a log line, an exception text or an audit reason.
"""

from __future__ import annotations

import logging
import re

from stdnum import luhn
from stdnum.cn import ric

from models.identifiers import convert_15_to_18, mask_bank_card, mask_mobile, mask_resident_id

# Digits not glued to other digits, so parts of longer numbers are not mistaken for IDs.
_RESIDENT_ID = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?![\dXx])")
_CARD = re.compile(r"(?<!\d)(\d{12,19})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
# The same numbers as people write them: in groups split by single spaces or hyphens, a mobile
# with +86 in front ("159 8765 4321", "159-8765-4321", "+86 159 8765 4321",
# "110105 19491231 002X", "6214 8310 0877 6657"). Only runs with a separator.
_WITH_COUNTRY = re.compile(r"(?<!\d)\+?86(1[3-9]\d{9})(?!\d)")
_GROUPED = re.compile(r"(?<![\w+])(\+?86[ -]?)?(\d+(?:[ -]\d+)+[Xx]?)(?![\w])")


def _mask_id(match: re.Match[str]) -> str:
    number = match.group(1)
    return mask_resident_id(number.upper())


def _mask_card(match: re.Match[str]) -> str:
    number = match.group(1)
    # 16-19 digits: mask always (a mistyped card is still a card); shorter only when Luhn-valid,
    # so ordinary long numbers (amounts in fen, counts) stay readable.
    return mask_bank_card(number) if len(number) >= 16 or luhn.is_valid(number) else number


def _mask_grouped(match: re.Match[str]) -> str:
    prefix, grouped = match.group(1) or "", match.group(2)
    digits = re.sub(r"[ -]", "", grouped)
    if prefix and _MOBILE.fullmatch(digits):
        return mask_mobile(digits)
    if prefix:
        return match.group(0)
    # Grouped digits are also how dates and references are written ("2026-11-24 2026-11-25"):
    # an ID or a card in groups is masked when its check digit holds.
    if len(digits) == 18 and ric.is_valid(digits.upper()):
        return mask_resident_id(digits.upper())
    if digits.isdigit() and _MOBILE.fullmatch(digits):
        return mask_mobile(digits)
    if digits.isdigit() and 12 <= len(digits) <= 19 and luhn.is_valid(digits):
        return mask_bank_card(digits)
    return grouped


def mask_text(text: str) -> str:
    """Mask everything that looks like a resident ID, bank card or mobile number, also when it
    is written in groups (spaces, hyphens) or a mobile with +86 in front."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _GROUPED.sub(_mask_grouped, text)
    text = _RESIDENT_ID.sub(_mask_id, text)
    text = _WITH_COUNTRY.sub(lambda m: mask_mobile(m.group(1)), text)
    text = _CARD.sub(_mask_card, text)
    return _MOBILE.sub(lambda m: mask_mobile(m.group(1)), text)


_PARAMETERS_FAILED = "Parameter validation failed for flow"


class MaskingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with identifiers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        if message.startswith(_PARAMETERS_FAILED):
            # Prefect logs every parameter of a run whose form fails validation (names, health
            # text, the ID typed in): the run's state names the fields; the log says no more.
            message = message.split(":", 1)[0] + ": the fields are named in the run's state; what was typed is withheld"
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


_FILTER = MaskingFilter()


def install_masking() -> None:
    """Attach the filter to every handler that exists now, ours and Prefect's.

    Handler filters (not logger filters) see records propagated from child loggers too.
    Idempotent; call it again after something configures new handlers.
    """
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def holds_identifier(text: str) -> bool:
    """True when ``text`` holds a valid resident ID (check digit), a card number that passes
    Luhn or a mobile number: for fields such as a transfer reference, where long serial numbers
    are normal and only a real identifier must be kept out."""
    for match in _RESIDENT_ID.finditer(text):
        number = match.group(1).upper()
        if ric.is_valid(convert_15_to_18(number) if len(number) == 15 else number):
            return True
    if any(luhn.is_valid(m.group(1)) for m in _CARD.finditer(text)):
        return True
    return _MOBILE.search(text) is not None
