"""Server-side SVG charts for the dashboard: no JavaScript, no CDN, readable in tests and by screen readers.

Each chart is an <svg role="img"> with a <title>, one labelled shape per data point (its value in a
<title> tooltip and a data-value attribute), and axis labels; colours come from the stylesheet's classes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 8, 12, 28  # room for the axis labels


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    css_class: str  # e.g. "s-clicks": its colour is set in contextjson.css
    label: str = ""  # how one value reads in its tooltip ("12 clicks"); defaults to the number
    # Exact text of each value (e.g. dollars "0.001234"), for tooltips and data-value; `values` only draw.
    texts: Sequence[str] = ()

    def shown(self, index: int) -> str:
        """Value `index` as its tooltip says it (the label applied to its exact text, if any)."""
        value: object = self.texts[index] if self.texts else self.values[index]
        return self.label.format(value) if self.label else str(value)

    def data(self, index: int) -> str:
        return str(self.texts[index] if self.texts else self.values[index])


def _scale(peak: float) -> float:
    """A round upper bound for the y axis (1, 2, 5 × 10^n, also below 1: spend can be fractions of a cent)."""
    if peak <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(peak))
    for step in (1, 2, 5):
        if peak <= step * magnitude * (1 + 1e-9):  # 0.002 is 2 × 0.001, whatever the float rounding
            return float(f"{step * magnitude:.12g}")
    return float(f"{10 * magnitude:.12g}")


def _frame(title: str, days: Sequence[date], top: float, top_label: str, body: str) -> Markup:
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    first, last = (days[0].isoformat(), days[-1].isoformat()) if days else ("", "")
    svg = (
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>'
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}"/>'
        f'<line class="grid" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT + plot_w}" y2="{_TOP}"/>'
        f'<text class="label" x="{_LEFT - 4}" y="{_TOP + 4}" text-anchor="end">{escape(top_label)}</text>'
        f'<text class="label" x="{_LEFT - 4}" y="{_TOP + plot_h}" text-anchor="end">0</text>'
        f'<text class="label" x="{_LEFT}" y="{HEIGHT - 6}">{first}</text>'
        f'<text class="label" x="{_LEFT + plot_w}" y="{HEIGHT - 6}" text-anchor="end">{last}</text>'
        f"{body}</svg>"
    )
    assert top > 0
    return Markup(svg)  # noqa: S704  (every text part above is escaped)


def bar_chart(title: str, days: Sequence[date], series: Series, *, axis_format: str = "{:g}") -> Markup:
    """One bar per day (e.g. spend); `axis_format` writes the axis's top value (e.g. "${:g}")."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = _scale(max(series.values, default=0))
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, (day, value) in enumerate(zip(days, series.values, strict=True)):
        height = plot_h * value / top
        x, y = _LEFT + i * slot + slot * 0.15, _TOP + plot_h - height
        tip = f"{day.isoformat()}: {series.shown(i)}"
        bars.append(
            f'<rect class="{escape(series.css_class)}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height:.1f}" data-day="{day.isoformat()}" data-value="{escape(series.data(i))}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    return _frame(title, days, top, axis_format.format(top), "".join(bars))


def line_chart(title: str, days: Sequence[date], series: Sequence[Series]) -> Markup:
    """One line per series over the days (e.g. clicks vs cache hits vs generations), with a legend."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = _scale(max((v for s in series for v in s.values), default=0))
    step = plot_w / max(len(days) - 1, 1)
    parts = []
    for n, line in enumerate(series):
        points = [(_LEFT + i * step, _TOP + plot_h - plot_h * value / top) for i, value in enumerate(line.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="{escape(line.css_class)}" fill="none" points="{path}"/>')
        for i, ((x, y), day) in enumerate(zip(points, days, strict=True)):
            tip = f"{day.isoformat()}: {line.shown(i)} {line.name}"
            parts.append(
                f'<circle class="{escape(line.css_class)}" cx="{x:.1f}" cy="{y:.1f}" r="2.5" '
                f'data-series="{escape(line.name)}" data-day="{day.isoformat()}" data-value="{escape(line.data(i))}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        parts.append(
            f'<text class="legend {escape(line.css_class)}" x="{_LEFT + 8 + n * 130}" y="{_TOP + 12}">'
            f"{escape(line.name)}</text>"
        )
    return _frame(title, days, top, f"{top:g}", "".join(parts))
