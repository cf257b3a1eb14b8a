"""Server-rendered SVG bar charts (no JavaScript). CSP-safe: colours come from CSS classes and SVG presentation
attributes, never ``style``. Accessible: ``role="img"`` with a ``<title>`` and a ``<desc>`` that says what the chart
shows; the same figures are in the table next to it. Hidden (suppressed) values get no bar, only their marker."""

from __future__ import annotations

import math

from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.reports.render import RenderedTable

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(table: RenderedTable, chart_id: str) -> Markup:
    points = table.chart_points()
    if not points:
        return Markup("")
    unit = table.chart_unit
    shown = [cell.value for _label, cell in points if cell.value is not None]
    top = _nice_max(max(shown, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(points)
    bar_w = max(2.0, slot * 0.7)
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    summary = "; ".join(f"{label}: {cell.text}{unit if not cell.hidden and cell.value is not None else ''}"
                        for label, cell in points)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{title_id}">{escape(table.title)}</title>',
        f'<desc id="{desc_id}">{escape(summary)}. {escape(_("The same figures are in the table below."))}</desc>',
        # axes and the top grid line with its value
        f'<line class="chart__axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="#0b0c0c" stroke-width="1"/>',
        f'<line class="chart__grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" stroke="#b1b4b6" '
        f'stroke-width="1" stroke-dasharray="4 4"/>',
        f'<text class="chart__tick" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="12" '
        f'fill="#484949">{escape(_format(top))}{escape(unit)}</text>',
        f'<text class="chart__tick" x="{LEFT - 6}" y="{TOP + plot_h + 4}" text-anchor="end" font-size="12" '
        f'fill="#484949">0</text>',
    ]
    for index, (label, cell) in enumerate(points):
        x = LEFT + index * slot + (slot - bar_w) / 2
        centre = x + bar_w / 2
        if cell.value is not None and cell.value > 0:
            h = plot_h * cell.value / top
            parts.append(f'<rect class="chart__bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="#4a2472"/>')
        if cell.hidden or cell.value is not None:
            y = TOP + plot_h - 4 - plot_h * (cell.value or 0) / top
            parts.append(f'<text class="chart__value" x="{centre:.1f}" y="{y:.1f}" text-anchor="middle" '
                         f'font-size="11" fill="#0b0c0c">{escape(cell.text)}</text>')
        parts.append(f'<text class="chart__label" x="{centre:.1f}" y="{TOP + plot_h + 16}" text-anchor="end" '
                     f'font-size="11" fill="#0b0c0c" transform="rotate(-35 {centre:.1f} {TOP + plot_h + 16})">'
                     f'{escape(_short(label))}</text>')
    parts.append("</svg>")
    # SECURITY: every text above went through escape(); numbers are formatted floats.
    return Markup("".join(parts))  # noqa: S704


def _format(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _short(label: str) -> str:
    return label if len(label) <= 14 else label[:13] + "…"
