"""The benefit of a claim under a product's terms: the amount and the lines that explain it.

Pure: the terms (``products.Product``), the claim's facts and what the member has had from the
product in the event's year go in; an amount in fen and its explanation come out, e.g.::

    inpatient             12 days × 26.00 × 1 share = 312.00
    expenses              6,000.00
    deductible            −500.00 → 5,500.00
    ratio                 50% → 2,750.00
    subtotal              3,062.00
    yearly cap remaining  3,000.00 → 3,000.00

Order: the waiting period (nothing), else the reduced window (its fixed benefit only), else the
fixed sum per share for the benefit asked for, plus the daily rate per share for the days in
hospital up to the product's days, plus the expenses after the deductible times the ratio; then the
per-event cap, then what is left of the yearly cap. A ratio's fraction of a fen is rounded half up.
The explanation names rules and figures only, never a diagnosis: it is shown in the Prefect UI.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from casetypes.insurance.products import Product
from models.money import fen_to_yuan


def yuan(fen: int) -> str:
    """``312000`` → ``3,120.00``: the explanation's figures, without the currency sign."""
    return f"{fen_to_yuan(fen):,}"


@dataclass(frozen=True)
class Facts:
    """What the calculation needs of a claim. ``day_of_cover``: days from the start of cover to the
    event (the first day of cover is day 0); ``expenses_fen``: the eligible expenses the member paid
    (after social insurance); ``benefit``: the fixed sum asked for (a code of the product's
    ``fixed_yuan``), or none."""

    shares: int
    day_of_cover: int
    benefit: str | None = None
    hospital_days: int = 0
    expenses_fen: int = 0


@dataclass(frozen=True)
class Line:
    rule: str
    figures: str
    result_fen: int

    @property
    def text(self) -> str:
        return f"{self.rule}: {self.figures}"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "figures": self.figures, "result_fen": self.result_fen}


@dataclass(frozen=True)
class Calculation:
    amount_fen: int
    lines: tuple[Line, ...]

    @property
    def explanation(self) -> list[dict[str, Any]]:
        return [line.as_dict() for line in self.lines]

    def markdown(self) -> str:
        rows = ["| rule | figures |", "| --- | --- |"] + [f"| {ln.rule} | {ln.figures} |" for ln in self.lines]
        return "\n".join(rows + [f"| **benefit** | **{yuan(self.amount_fen)}** |"])


def _shares(n: int) -> str:
    return f"{n} share" if n == 1 else f"{n} shares"


def calculate(product: Product, facts: Facts, *, paid_this_year_fen: int = 0) -> Calculation:
    """The benefit of ``facts`` under ``product``, with ``paid_this_year_fen`` already approved or
    paid to the member from the product in the event's year."""
    lines: list[Line] = []
    day = facts.day_of_cover
    if day < product.waiting_days:
        lines.append(Line("waiting period", f"day {day} of cover, before day {product.waiting_days} → 0.00", 0))
        return Calculation(0, tuple(lines))
    if product.reduced is not None and day <= product.reduced.until_day:
        amount = product.reduced.benefit_fen
        lines.append(Line("reduced window", f"day {day} of cover, days {product.waiting_days}–"
                                            f"{product.reduced.until_day} → {yuan(amount)}", amount))
    else:
        amount = 0
        parts = 0
        if facts.benefit is not None and facts.benefit in product.fixed_fen:
            sum_fen = product.fixed_fen[facts.benefit] * facts.shares
            lines.append(Line("fixed sum", f"{_shares(facts.shares)} × "
                                                            f"{yuan(product.fixed_fen[facts.benefit])} = {yuan(sum_fen)}", sum_fen))
            amount += sum_fen
            parts += 1
        if product.per_day is not None and facts.hospital_days > 0:
            days = min(facts.hospital_days, product.per_day.max_days)
            day_fen = days * product.per_day.rate_fen * facts.shares
            capped = f" (of {facts.hospital_days}, at most {product.per_day.max_days})" if days < facts.hospital_days else ""
            lines.append(Line("inpatient", f"{days} days{capped} × {yuan(product.per_day.rate_fen)} × "
                                           f"{_shares(facts.shares)} = {yuan(day_fen)}", day_fen))
            amount += day_fen
            parts += 1
        if product.reimbursement is not None and facts.expenses_fen > 0:
            terms = product.reimbursement
            after = max(0, facts.expenses_fen - terms.deductible_fen)
            share = int((Decimal(after) * terms.ratio_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            lines.append(Line("expenses", yuan(facts.expenses_fen), facts.expenses_fen))
            lines.append(Line("deductible", f"−{yuan(terms.deductible_fen)} → {yuan(after)}", after))
            lines.append(Line("ratio", f"{terms.ratio_percent}% → {yuan(share)}", share))
            amount += share
            parts += 1
        if parts == 0:
            lines.append(Line("no benefit", "nothing in the terms pays for what the claim asks → 0.00", 0))
            return Calculation(0, tuple(lines))
        if parts > 1:
            lines.append(Line("subtotal", yuan(amount), amount))
    if product.per_event_cap_fen is not None and amount > product.per_event_cap_fen:
        amount = product.per_event_cap_fen
        lines.append(Line("per-event cap", f"{yuan(product.per_event_cap_fen)} → {yuan(amount)}", amount))
    if product.yearly_cap_fen is not None:
        left = max(0, product.yearly_cap_fen - paid_this_year_fen)
        if amount > left or paid_this_year_fen:
            amount = min(amount, left)
            lines.append(Line("yearly cap remaining", f"{yuan(left)} → {yuan(amount)}", amount))
    return Calculation(amount, tuple(lines))
