"""The supervisor's page: one self-contained HTML file, inline CSS, charts as inline SVG.

No JavaScript, no fonts or images fetched, nothing from the network: the file opens the same
from a shared drive, an e-mail attachment or a laptop offline. Every text is escaped. Hovering a
bar shows its exact figure (an SVG ``<title>``). Charts are drawn from the sections' own rows, so
a section a case type adds gets its chart without this module knowing it.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from models.money import fen_to_yuan, format_fen
from models.time import as_utc
from services.reports.files import atomic_write_bytes
from services.reports.model import (
    MARKERS,
    UNKNOWN,
    Bars,
    Cell,
    Chart,
    ColumnType,
    MonthlyReport,
    Progress,
    Section,
    StackedBars,
    display,
    share,
)
from services.reports.summary import key_figures

WIDTH = 760
PALETTE = ("#2f6f9f", "#e8a33d", "#d9e2ea", "#7a9e5a", "#b5657a")

CSS = """
:root { color-scheme: light; --ink:#1f2a33; --muted:#5d6b78; --line:#d8e0e7; --band:#f4f7fa; --accent:#2f6f9f; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.55 -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
       "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; color:var(--ink); background:#fff; }
main { max-width: 1120px; margin: 0 auto; padding: 28px 24px 60px; }
header h1 { margin:0 0 4px; font-size: 26px; }
header p { margin: 2px 0; color: var(--muted); }
nav { margin: 18px 0 8px; display:flex; flex-wrap:wrap; gap:6px 14px; font-size:14px; }
nav a { color: var(--accent); text-decoration: none; }
.cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap:12px; margin: 18px 0 8px; }
.card { border:1px solid var(--line); border-radius:10px; padding:12px 14px; background:var(--band); }
.card .label { color:var(--muted); font-size:13px; }
.card .value { font-size:20px; font-weight:600; font-variant-numeric: tabular-nums; }
.card.attention { border-color:#e0a040; background:#fff7e8; }
section { margin-top: 36px; }
h2 { font-size: 19px; margin: 0 0 10px; padding-bottom:6px; border-bottom: 2px solid var(--line); }
figure { margin: 8px 0 14px; }
figcaption { font-size: 14px; color: var(--muted); margin-bottom: 4px; }
svg text { font-family: inherit; }
.table-wrap { overflow-x:auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.marker { color: var(--muted); font-style: italic; text-align: right; }
tbody tr:nth-child(even) { background: #fafcfd; }
.notes { color: var(--muted); font-size: 13px; margin: 8px 0 0; padding-left: 18px; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; border-top:1px solid var(--line); padding-top:10px; }
@media print { main { padding: 0; } section { break-inside: avoid; } nav { display:none; } }
"""


def render_html(report: MonthlyReport) -> str:
    generated = as_utc(report.generated_at).astimezone(ZoneInfo(report.timezone)).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body><main>",
        "<header>",
        f"<h1>{escape(report.title)}</h1>",
        f"<p>{escape(report.plan_title)}</p>" if report.plan_title else "",
        f"<p>{escape(report.scope_text)}. 时间进度 Year elapsed: {display(report.year_elapsed, ColumnType.percent)}."
        f" Generated {escape(generated)}.</p>",
        "</header>",
        _cards(report),
        "<nav>" + "".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in report.sections) + "</nav>",
        *(_section(section) for section in report.sections),
        "<footer>No personal data: case numbers, payout references, unit and staff codes only. "
        "Money from the ledger, exact to the fen; the workbook beside this file holds the same figures.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_html(report: MonthlyReport, path: Path) -> Path:
    return atomic_write_bytes(path, render_html(report).encode("utf-8"))


def _cards(report: MonthlyReport) -> str:
    cards = "".join(
        f'<div class="card{" attention" if f.attention else ""}"><div class="label">{escape(f.label)}</div>'
        f'<div class="value">{escape(f.value)}</div></div>' for f in key_figures(report))
    return f'<div class="cards">{cards}</div>' if cards else ""


def _section(section: Section) -> str:
    chart = _chart(section) if section.chart is not None and section.rows else ""
    if section.rows:
        head = "".join(f"<th>{escape(c.title)}</th>" for c in section.columns)
        body = "".join("<tr>" + "".join(_td(cell, c.type) for c, cell in zip(section.columns, row, strict=True)) + "</tr>"
                       for row in section.rows)
        table = f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    else:
        table = '<p class="empty">Nothing to show for this period. 本期无数据。</p>'
    notes = "".join(f"<li>{escape(n)}</li>" for n in section.notes)
    return (f'<section id="{escape(section.key)}"><h2>{escape(section.title)}</h2>{chart}{table}'
            + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</section>")


def _td(cell: Cell, kind: ColumnType) -> str:
    text = escape(display(cell, kind))
    if isinstance(cell, str) and cell in MARKERS:
        return f'<td class="marker">{text}</td>'
    if kind is not ColumnType.text and cell is not None:
        return f'<td class="num">{text}</td>'
    return f"<td>{text}</td>"


# --- charts ----------------------------------------------------------------------------------------------


def _chart(section: Section) -> str:
    chart: Chart | None = section.chart
    if isinstance(chart, StackedBars):
        svg = _stacked(section, chart)
    elif isinstance(chart, Bars):
        svg = _bars(section, chart)
    elif isinstance(chart, Progress):
        svg = _progress(section, chart)
    else:
        return ""
    return f"<figure><figcaption>{escape(chart.title)}</figcaption>{svg}</figure>"


def _svg(height: int, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'style="max-width:{WIDTH}px" role="img" aria-label="{escape(label)}">'
            f"<title>{escape(label)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, content: str, *, size: int = 12, anchor: str = "start", fill: str = "#1f2a33",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}">{escape(content)}</text>')


def _text_width(text: str, size: int) -> float:
    """About how wide ``text`` is drawn: a Chinese character is a full em, a Latin one a little over half."""
    return sum(size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.58 for ch in text)


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stacked(section: Section, chart: StackedBars) -> str:
    """Budget use: one bar per row, the whole bar is the sum of the parts (paid + reserved + remaining = budget);
    the last part is what is left, so the share "used" is everything before it."""
    left, bar_width, row_height, top = 150, 430, 34, 34
    titles = [section.column(key).title for key in chart.parts]
    body = []
    x: float = left
    for i, title in enumerate(titles):  # legend
        body.append(f'<rect x="{x}" y="8" width="12" height="12" rx="2" fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(_text(x + 17, 18, title, size=12))
        x += 32 + _text_width(title, 12)
    for r, row in enumerate(section.row_dicts()):
        y = top + r * row_height
        label = str(row[chart.label])
        body.append(_text(left - 8, y + 17, _fit(label, 20), anchor="end", size=13))
        values = [int(cast(int, row[key] or 0)) for key in chart.parts]  # the parts are yuan columns: integer fen
        whole = sum(values)
        if whole <= 0:
            body.append(f'<rect x="{left}" y="{y + 4}" width="{bar_width}" height="20" rx="3" fill="#f1f3f5"/>')
            body.append(_text(left + 8, y + 18, "no budget 无预算", fill="#5d6b78"))
            continue
        x = float(left)
        for i, (value, title) in enumerate(zip(values, titles, strict=True)):
            width = bar_width * value / whole
            if width <= 0:
                continue
            body.append(f'<rect x="{x:.2f}" y="{y + 4}" width="{width:.2f}" height="20" fill="{PALETTE[i % len(PALETTE)]}">'
                        f"<title>{escape(label)} · {escape(title)}: {escape(format_fen(value))}</title></rect>")
            x += width
        used = display(share(whole - values[-1], whole), ColumnType.percent)
        body.append(_text(left + bar_width + 10, y + 18, f"{used} used · {format_fen(whole)}", size=12,
                          fill="#5d6b78"))
    height = top + row_height * len(section.rows) + 6
    return _svg(height, chart.title, body)


def _nice_ceiling(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (1, 2, 2.5, 5, 10):
        candidate = Decimal(str(step)).scaleb(exponent)
        if candidate >= value:
            return candidate
    return Decimal(10).scaleb(exponent)


def _yuan_label(fen: int) -> str:
    yuan = fen_to_yuan(fen)
    return f"¥{yuan:,.0f}" if yuan >= 100 else f"¥{yuan:,}"


def _bars(section: Section, chart: Bars) -> str:
    """Vertical bars (money per month); empty places for months still to come."""
    kind = section.column(chart.value).type
    rows = section.row_dicts()
    slots = max(chart.slots or 0, len(rows), 1)
    left, top, plot_height, bottom = 70, 16, 190, 40
    plot_width = WIDTH - left - 10
    values = [int(cast(int, row[chart.value] or 0)) for row in rows]  # a yuan or count column: whole numbers
    ceiling = _nice_ceiling(fen_to_yuan(max(values, default=0)) if kind is ColumnType.yuan else Decimal(max(values, default=0)))
    scale_top = int(ceiling * 100) if kind is ColumnType.yuan else int(ceiling)
    body = []
    for i in range(5):  # grid lines and axis labels
        level = scale_top * i // 4
        y = top + plot_height - plot_height * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="#e3e8ee"/>')
        label = _yuan_label(level) if kind is ColumnType.yuan else f"{level:,}"
        body.append(_text(left - 6, y + 4, label, size=11, anchor="end", fill="#5d6b78"))
    slot = plot_width / slots
    for i in range(slots):
        x = left + i * slot
        label = str(rows[i][chart.label]) if i < len(rows) else ""
        axis = label[5:] if len(label) == 7 and label[4] == "-" else label  # "2026-03" -> "03"
        body.append(_text(x + slot / 2, top + plot_height + 16, axis or f"{i + 1:02d}", size=11, anchor="middle",
                          fill="#1f2a33" if i < len(rows) else "#b0bac4"))
        if i >= len(rows):
            continue
        value = values[i]
        height = plot_height * value / scale_top if scale_top else 0
        exact = display(value, kind)
        body.append(f'<rect x="{x + slot * 0.18:.1f}" y="{top + plot_height - height:.1f}" width="{slot * 0.64:.1f}" '
                    f'height="{height:.1f}" rx="2" fill="{PALETTE[0]}"><title>{escape(label)}: {escape(exact)}</title></rect>')
        if value:
            short = _yuan_label(value) if kind is ColumnType.yuan else f"{value:,}"
            body.append(_text(x + slot / 2, top + plot_height - height - 4, short, size=10, anchor="middle",
                              fill="#5d6b78"))
    return _svg(top + plot_height + bottom, chart.title, body)


def _progress(section: Section, chart: Progress) -> str:
    """Targets: the share achieved per row, a dashed line at the share of the year elapsed."""
    left, bar_width, row_height, top = 20, 520, 46, 28
    body = []
    rows = section.row_dicts()
    for r, row in enumerate(rows):
        y = top + r * row_height
        body.append(_text(left, y + 12, _fit(str(row[chart.label]), 70), size=13))
        body.append(f'<rect x="{left}" y="{y + 18}" width="{bar_width}" height="14" rx="3" fill="#eef2f5"/>')
        value: Cell = row[chart.share]
        if isinstance(value, Decimal):
            width = bar_width * float(min(value, Decimal(1)))
            colour = PALETTE[3] if chart.marker is None or value >= chart.marker else PALETTE[1]
            body.append(f'<rect x="{left}" y="{y + 18}" width="{width:.1f}" height="14" rx="3" fill="{colour}">'
                        f"<title>{escape(display(value, ColumnType.percent))}</title></rect>")
            status = display(value, ColumnType.percent)
            if chart.status:
                status += f" · {display(row[chart.status], section.column(chart.status).type)}"
            if chart.target:
                status += f" / {display(row[chart.target], section.column(chart.target).type)}"
        else:
            status = _missing_share_text(section, chart, row)
        body.append(_text(left + bar_width + 10, y + 30, status, size=12, fill="#5d6b78"))
    if chart.marker is not None and rows:
        x = left + bar_width * float(min(chart.marker, Decimal(1)))
        bottom = top + row_height * len(rows)
        body.append(f'<line x1="{x:.1f}" y1="{top + 12}" x2="{x:.1f}" y2="{bottom - 8}" stroke="#1f2a33" '
                    'stroke-dasharray="4 3" stroke-width="1.2"/>')
        body.append(_text(x, top + 4, chart.marker_label, size=11, anchor="middle", fill="#1f2a33"))
    return _svg(top + row_height * len(rows) + 4, chart.title, body)


def _missing_share_text(section: Section, chart: Progress, row: dict[str, Cell]) -> str:
    status = row.get(chart.status) if chart.status else None
    if isinstance(status, str) and status in MARKERS:
        return "无数据 no data"
    target = row.get(chart.target) if chart.target else None
    actual = display(status, section.column(chart.status).type) if chart.status else ""
    if target == UNKNOWN:
        return f"目标未定 target unknown · actual {actual}"
    return f"actual {actual}" if actual else ""
