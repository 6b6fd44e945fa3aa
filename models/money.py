"""Money is integer fen. Yuan appear only at the edges (files, forms, statements) as Decimal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from models.errors import InputError

FEN_PER_YUAN = 100


# The largest amount a money column holds (PostgreSQL INTEGER); every amount typed in is bounded by it.
MAX_FEN = 2_147_483_647


def parse_yuan(value: object, field: str) -> int:
    """``"1234.5"`` → 123450 fen. Refuses floats' rounding, negatives and fractions of a fen."""
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace(",", "").replace("¥", "").replace("元", "")
    if not text:
        raise InputError(field, "is required")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InputError(field, "must be an amount in yuan, e.g. 1200 or 1200.50") from None
    if not amount.is_finite():
        raise InputError(field, "must be a finite amount")
    if amount < 0:
        raise InputError(field, "must not be negative")
    if amount * FEN_PER_YUAN > MAX_FEN:
        raise InputError(field, f"must be at most {format_fen(MAX_FEN)}")
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InputError(field, "has more than two decimal places (smaller than one fen)")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_fen(fen: int | None) -> str:
    """``123450`` → ``¥1,234.50`` for people."""
    if fen is None:
        return "-"
    return f"¥{fen_to_yuan(fen):,}"
