"""Server-rendered SVG charts: bars and lines laid out here, drawn by ``ui/_chart.html``.

Why no JavaScript charting library: the pages must work under the strict CSP, print, and read
the same to a screen reader, so each chart is plain SVG with a ``<title>``/``<desc>`` and the
numbers it draws, plus the same data as a table behind it. Nothing depends on colour: every bar
and every point carries its value as text, and lines have point markers.

The layout is pure arithmetic on the data (no Django), so it is table-tested on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 420  # drawn about this wide in a column of the page, so the text stays readable
HEIGHT = 220
MAX_BAR = 56  # a lone bar is a bar, not a wall
LEFT = 48  # room for the value axis' tick labels
RIGHT = 16
TOP = 16
BOTTOM = 48  # room for the category labels and the axis title


@dataclass(frozen=True)
class Tick:
    value: float
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    text: str  # the value as printed above the bar

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def text_y(self) -> float:
        return self.y - 4


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    x: float
    y: float
    text: str
    show_label: bool  # category label under the axis (thinned so labels never overlap)
    show_text: bool  # value printed beside the point (first, last and the highest)

    @property
    def text_y(self) -> float:
        return self.y - 8


@dataclass
class Chart:
    """Everything the template needs; ``rows`` is the data table behind the chart."""

    id: str
    kind: str  # "bars" or "line"
    title: str
    description: str
    x_label: str
    y_label: str
    headers: tuple[str, str]
    rows: list[tuple[str, str]]
    ticks: list[Tick] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_bottom: float = HEIGHT - BOTTOM
    plot_right: float = WIDTH - RIGHT

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def x_label_y(self) -> float:
        return self.height - 6

    @property
    def cat_y(self) -> float:
        return self.plot_bottom + 16

    @property
    def tick_x(self) -> int:
        return self.left - 6


def axis(value: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step) of a value axis: at most ``ticks`` steps of 1, 2 or 5 times a power of ten.

    Steps are whole numbers, since every chart here counts things (students, answers, XP).
    """
    raw = max(value, 1.0) / ticks
    power = 10 ** max(0, math.floor(math.log10(raw)))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return float(math.ceil(max(value, 1.0) / step) * step), float(step)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _ticks(top_value: float, step: float, top_y: float, bottom_y: float) -> list[Tick]:
    span = bottom_y - top_y
    count = round(top_value / step)
    return [
        Tick(value=v, y=bottom_y - span * (v / top_value), label=_fmt(v))
        for v in (step * i for i in range(count + 1))
    ]


def _frame(
    kind: str,
    chart_id: str,
    title: str,
    data: Sequence[tuple[str, float]],
    description: str,
    x_label: str,
    y_label: str,
    value_format: str,
    width: int,
    height: int,
) -> tuple[Chart, float, float]:
    """The chart without its marks, the top of its plot area and its axis' top value."""
    chart = Chart(
        id=chart_id,
        kind=kind,
        title=title,
        description=description,
        x_label=x_label,
        y_label=y_label,
        headers=(x_label, y_label),
        rows=[(label, value_format.format(value)) for label, value in data],
        width=width,
        height=height,
        plot_bottom=height - BOTTOM,
        plot_right=width - RIGHT,
    )
    plot_top = TOP + 12  # room for the highest mark's value
    if not data:
        return chart, plot_top, 1.0
    top_value, step = axis(max(value for _, value in data))
    chart.ticks = _ticks(top_value, step, plot_top, chart.plot_bottom)
    return chart, plot_top, top_value


def bar_chart(
    chart_id: str,
    title: str,
    data: Sequence[tuple[str, float]],
    *,
    description: str = "",
    x_label: str = "",
    y_label: str = "",
    value_format: str = "{:g}",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Vertical bars, one per (label, value), each with its value printed above it."""
    chart, plot_top, top_value = _frame(
        "bars", chart_id, title, data, description, x_label, y_label, value_format, width, height
    )
    if not data:
        return chart
    slot = (chart.plot_right - LEFT) / len(data)
    bar = min(MAX_BAR, slot - min(12.0, slot * 0.2))
    for i, (label, value) in enumerate(data):
        h = (chart.plot_bottom - plot_top) * (max(value, 0) / top_value)
        chart.bars.append(
            Bar(
                label=label,
                value=value,
                x=LEFT + i * slot + (slot - bar) / 2,
                y=chart.plot_bottom - h,
                width=bar,
                height=h,
                text=value_format.format(value),
            )
        )
    return chart


def line_chart(
    chart_id: str,
    title: str,
    data: Sequence[tuple[str, float]],
    *,
    description: str = "",
    x_label: str = "",
    y_label: str = "",
    value_format: str = "{:g}",
    width: int = WIDTH,
    height: int = HEIGHT,
    max_labels: int = 6,
) -> Chart:
    """A line through (label, value) points in order, with a marker on each point."""
    chart, plot_top, top_value = _frame(
        "line", chart_id, title, data, description, x_label, y_label, value_format, width, height
    )
    if not data:
        return chart
    n = len(data)
    inner = chart.plot_right - LEFT - 24
    every = max(1, math.ceil(n / max_labels))
    highest = max(range(n), key=lambda i: (data[i][1], i))
    for i, (label, value) in enumerate(data):
        x = LEFT + 12 + (inner * i / (n - 1) if n > 1 else inner / 2)
        y = chart.plot_bottom - (chart.plot_bottom - plot_top) * (max(value, 0) / top_value)
        chart.points.append(
            Point(
                label=label,
                value=value,
                x=x,
                y=y,
                text=value_format.format(value),
                show_label=(i % every == 0) or i == n - 1,
                show_text=i in (0, n - 1, highest),
            )
        )
    return chart


def histogram(
    values: Sequence[float], edges: Sequence[float], labels: Sequence[str]
) -> list[tuple[str, int]]:
    """Counts of ``values`` in the bins ``[edges[i], edges[i+1])``, the last bin closed.

    ``labels`` names each bin; there is one label fewer than edges.
    """
    if len(labels) != len(edges) - 1:
        raise ValueError(f"{len(edges)} edges make {len(edges) - 1} bins, not {len(labels)}")
    counts = [0] * len(labels)
    last = len(labels) - 1
    for v in values:
        for i in range(len(labels)):
            low, high = edges[i], edges[i + 1]
            if low <= v < high or (i == last and v == high):
                counts[i] += 1
                break
    return list(zip(labels, counts, strict=True))
