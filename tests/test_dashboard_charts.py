"""The dashboard's SVG charts show the figures they are given, escaped, and stay valid SVG."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

from dashboard.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(5)]


def test_bars_carry_their_values_and_scale_to_the_largest() -> None:
    svg = bar_chart("Spend <per day>", DAYS, Series("spend", [0, 0.5, 2.25, 0, 1], "s-spend", "${:.2f}"))
    root = ElementTree.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "Spend <per day>"  # type: ignore[union-attr]
    bars = root.findall(f"{SVG}rect")
    assert [float(b.get("data-value", "")) for b in bars] == [0, 0.5, 2.25, 0, 1]
    heights = [float(b.get("height", "")) for b in bars]
    assert heights[2] == max(heights) and heights[0] == 0 and heights[1] < heights[4] < heights[2]
    assert bars[2].find(f"{SVG}title").text == "2026-11-03: $2.25"  # type: ignore[union-attr]


def test_lines_have_one_point_per_day_and_a_legend() -> None:
    svg = line_chart(
        "Clicks",
        DAYS,
        [Series("clicks", [10, 20, 30, 40, 50], "s-clicks"), Series("hits", [9, 18, 27, 36, 45], "s-hits")],
    )
    root = ElementTree.fromstring(str(svg))
    assert len(root.findall(f"{SVG}polyline")) == 2
    clicks = [c for c in root.findall(f"{SVG}circle") if c.get("data-series") == "clicks"]
    assert [int(c.get("data-value", "")) for c in clicks] == [10, 20, 30, 40, 50]
    ys = [float(c.get("cy", "")) for c in clicks]
    assert ys == sorted(ys, reverse=True)  # more clicks, higher up
    assert {t.text for t in root.findall(f"{SVG}text") if "legend" in (t.get("class") or "")} == {"clicks", "hits"}


def test_an_empty_month_is_a_flat_chart_not_an_error() -> None:
    root = ElementTree.fromstring(str(bar_chart("Spend", DAYS, Series("spend", [0] * 5, "s-spend"))))
    assert all(float(b.get("height", "")) == 0 for b in root.findall(f"{SVG}rect"))


def test_names_are_escaped() -> None:
    svg = str(line_chart("x", DAYS[:2], [Series('<script>"', [1, 2], 's-"x')]))
    assert "<script>" not in svg and ElementTree.fromstring(svg) is not None
