"""The few figures a supervisor reads first, taken from the sections (the same numbers, never recomputed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from models.payouts import PayoutStatus
from services.reports.model import Cell, ColumnType, MonthlyReport, display
from services.reports.sections import ALL_TYPES, OPEN_EXCEPTIONS, PAYOUT_STATUS_LABELS, SIGNED_OFF_BY, VERSION


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    attention: bool = False  # something a person should look at


def _money_total(report: MonthlyReport) -> dict[str, Cell] | None:
    if not report.has("money-by-type"):
        return None
    for row in report.section("money-by-type").row_dicts():
        if row["case_type"] == ALL_TYPES:
            return row
    return None


def key_figures(report: MonthlyReport) -> list[KeyFigure]:
    figures: list[KeyFigure] = []
    money = _money_total(report)
    if money is not None:
        figures += [
            KeyFigure("本月支付 paid this month", display(money["paid_month"], ColumnType.yuan)),
            KeyFigure("累计支付 paid year to date", display(money["paid_ytd"], ColumnType.yuan)),
            KeyFigure("已预留 reserved", display(money["reserved"], ColumnType.yuan)),
            KeyFigure("可用余额 remaining", display(money["remaining"], ColumnType.yuan)),
        ]
    if report.has("open-case-ageing"):
        open_cases = sum(int(cast(int, v or 0)) for v in report.section("open-case-ageing").values("open"))  # counts
        figures.append(KeyFigure("未结案件 open cases", f"{open_cases:,}"))
    if report.has("approval-waits"):
        waiting = len(report.section("approval-waits").rows)
        figures.append(KeyFigure("超时待审批 approvals waiting too long", str(waiting), waiting > 0))
    if report.has("open-payouts"):
        statuses = report.section("open-payouts").values("status")
        unknown = statuses.count(PAYOUT_STATUS_LABELS[PayoutStatus.unknown])
        figures.append(KeyFigure("结果未知支付 payouts with unknown outcome", str(unknown), unknown > 0))
    if report.has("reconciliation"):
        rows = {str(r["item"]): r["value"] for r in report.section("reconciliation").row_dicts()}
        if not rows:
            figures.append(KeyFigure("对账 reconciliation", "not run yet 未对账", report.complete))
        else:
            open_items = int(cast(int, rows.get(OPEN_EXCEPTIONS, 0) or 0))  # a count
            signed = rows.get(SIGNED_OFF_BY)
            figures.append(KeyFigure("对账 reconciliation",
                                     f"version {rows.get(VERSION)}: {open_items} open, signed off by {signed}",
                                     open_items > 0))
    return figures
