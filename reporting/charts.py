"""Geometry for the small bar charts the portal draws as server-rendered SVG (no script, no CDN).

Pure functions: numbers in, shapes out; templates/includes/_chart.svg.html only draws them. The
drawing is 320 units wide, about the width a chart gets on a 375 px phone, so one unit is about
one pixel there and the labels stay readable; wider screens scale it up to the figure's
max-width (static/css/app.css).
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

Number = int | float | Decimal
WIDTH = 320
LEFT, RIGHT, TOP, BOTTOM = 50, 6, 10, 22
PLOT_HEIGHT = 150


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # 0, 1, ...: the CSS class chart-s<series> colours it
    title: str  # hover text, e.g. "Sep 7: 42.5%"


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]


@dataclass(frozen=True)
class Svg:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]
    gridlines: list[float] = field(default_factory=list)  # y of each horizontal line
    legend: list[tuple[int, str]] = field(default_factory=list)
    baseline: float = 0.0
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power  # pragma: no cover (the loop always returns)


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[Number], str],
    *,
    ceiling: float | None = None,
    axis_fmt: Callable[[Number], str] | None = None,
) -> Svg:
    """Vertical bars, one group per category (a week), one bar per series in each group. Every
    category is labelled while there are six or fewer; beyond that every second or third."""
    values = [float(v) for s in series for v in s.values if v is not None]
    top = float(ceiling or nice_ceiling(max(values, default=0.0)))
    plot_width = WIDTH - LEFT - RIGHT
    baseline = TOP + PLOT_HEIGHT
    slot = plot_width / max(len(categories), 1)
    bar_width = slot * 0.7 / max(len(series), 1)
    bars, labels, gridlines = [], [], []
    for step in (0, 0.5, 1):
        y = baseline - PLOT_HEIGHT * step
        gridlines.append(round(y, 1))
        labels.append(Label(LEFT - 4, round(y + 4, 1), (axis_fmt or fmt)(top * step), "end"))
    every = math.ceil(len(categories) / 6) or 1  # at most six labels: they must not touch
    for i, category in enumerate(categories):
        left = LEFT + slot * i + slot * 0.15
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            height = PLOT_HEIGHT * min(float(value), top) / top
            bars.append(
                Bar(
                    x=round(left + bar_width * j, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    series=j,
                    title=f"{category}: {fmt(value)}" + (f" ({s.name})" if len(series) > 1 else ""),
                )
            )
        if i % every == 0:
            labels.append(_category_label(LEFT + slot * (i + 0.5), baseline + 16, category))
    legend = [(j, s.name) for j, s in enumerate(series)] if len(series) > 1 else []
    return Svg(
        width=WIDTH,
        height=int(baseline + BOTTOM),
        bars=bars,
        labels=labels,
        gridlines=gridlines,
        legend=legend,
        baseline=baseline,
    )


# About half a glyph's width at the charts' 12px type, in drawing units (static/css/app.css).
HALF_GLYPH = 3.5


def _category_label(x: float, y: float, text: str) -> Label:
    """Centred under its column, unless that would run past the drawing's right edge (the last
    week's "Nov 30" was cut to "Nov 3"): then it ends at the edge."""
    if x + len(text) * HALF_GLYPH > WIDTH:
        return Label(WIDTH, y, text, "end")
    return Label(round(x, 1), y, text)


def funnel_chart(stages: Sequence[tuple[str, int]], fmt: Callable[[Number], str]) -> Svg:
    """Horizontal bars, one per stage, each labelled above its bar with its value at its end."""
    row, bar_height, value_room = 40, 18, 48
    top = max((value for _, value in stages), default=0) or 1
    usable = WIDTH - RIGHT - value_room
    bars, labels = [], []
    for i, (name, value) in enumerate(stages):
        y = i * row
        width = usable * value / top
        labels.append(Label(0, y + 13, name, "start"))
        bars.append(Bar(0, y + 17, round(width, 1), bar_height, 0, f"{name}: {fmt(value)}"))
        labels.append(Label(round(width + 4, 1), y + 31, fmt(value), "start"))
    return Svg(width=WIDTH, height=row * len(stages), bars=bars, labels=labels)
