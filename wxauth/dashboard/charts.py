"""Server-rendered SVG charts: per-day bars and lines, readable at a glance, no JavaScript.

Colours come from CSS classes (the stylesheet), so the markup needs no inline style and the
Content-Security-Policy can forbid it. Each point carries a <title>: hovering shows the
exact number, and tests can read the values back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 24, 14, 30
PLOT_W = WIDTH - LEFT - RIGHT


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]
    css: str  # "series-1" … in the stylesheet


def nice_max(value: int) -> tuple[int, int]:
    """(top of the axis, tick step): a round step (1, 2 or 5 × 10^k) giving at most 5 ticks."""
    if value <= 0:
        return 4, 1
    step = 10 ** max(0, math.floor(math.log10(value / 5)))
    for mult in (1, 2, 5, 10):
        if value / (step * mult) <= 5:
            step *= mult
            break
    return step * math.ceil(value / step), step


def _axes(days: list[date], top: int, step: int, height: int) -> list[str]:
    parts = []
    plot_h = height - TOP - BOTTOM
    for tick in range(0, top + 1, step):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>')
    slot = PLOT_W / len(days)
    for i, day in enumerate(days):
        if i % 5 == 0 or i == len(days) - 1:
            x = LEFT + slot * (i + 0.5)
            parts.append(f'<text class="axis" x="{x:.1f}" y="{height - 10}" text-anchor="middle">{day:%m-%d}</text>')
    return parts


def _partial(day: date, days: list[date]) -> str:
    """ " partial" for the last day (today, not over yet), drawn lighter by the stylesheet."""
    return " partial" if day == days[-1] else ""


def _today_so_far(days: list[date]) -> str:
    x = LEFT + PLOT_W / len(days) * (len(days) - 0.5)
    note = escape(_("today so far"))
    return f'<text class="axis partial-note" x="{x:.1f}" y="{TOP - 2}" text-anchor="end">{note}</text>'


def _title(day: date, value: int, name: str, days: list[date]) -> str:
    shown = {"day": f"{day:%Y-%m-%d}", "value": format_decimal(value), "name": name}
    if day == days[-1]:  # today is not over yet
        return str(escape(_("%(day)s: %(value)s %(name)s so far", **shown)))
    return str(escape(_("%(day)s: %(value)s %(name)s", **shown)))


def _svg(label: str, parts: list[str], height: int) -> Markup:
    body = "".join(parts)
    # Safe as markup: every piece is a number, a date or text passed through escape() above.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def bar_chart(label: str, days: list[date], series: Series, height: int = HEIGHT) -> Markup:
    top, step = nice_max(max(series.values, default=0))
    parts = _axes(days, top, step, height)
    plot_h = height - TOP - BOTTOM
    slot = PLOT_W / len(days)
    width = slot * 0.72
    for i, (day, value) in enumerate(zip(days, series.values, strict=True)):
        bar = plot_h * value / top
        x = LEFT + slot * i + (slot - width) / 2
        y = TOP + plot_h - bar
        title = _title(day, value, series.name, days)
        parts.append(
            f'<rect class="bar {series.css}{_partial(day, days)}" data-day="{day}" data-value="{value}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{width:.1f}" height="{bar:.1f}" rx="2"><title>{title}</title></rect>'
        )
    parts.append(_today_so_far(days))
    return _svg(label, parts, height)


def line_chart(label: str, days: list[date], series: list[Series], height: int = HEIGHT) -> Markup:
    top, step = nice_max(max((max(s.values, default=0) for s in series), default=0))
    parts = _axes(days, top, step, height)
    plot_h = height - TOP - BOTTOM
    slot = PLOT_W / len(days)
    for s in series:
        points = [
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * value / top, day, value)
            for i, (day, value) in enumerate(zip(days, s.values, strict=True))
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline class="line {s.css}" points="{path}"/>')
        for x, y, day, value in points:
            title = _title(day, value, s.name, days)
            parts.append(
                f'<circle class="dot {s.css}{_partial(day, days)}" data-series="{escape(s.name)}" data-day="{day}" data-value="{value}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                f"<title>{title}</title></circle>"
            )
    parts.append(_today_so_far(days))
    return _svg(label, parts, height)
