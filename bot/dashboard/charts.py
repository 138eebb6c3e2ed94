"""Charts as inline SVG, drawn on the server: no script, no download, numbers beside them.

A value is a number or a suppressed cell ("<5", "x"). A suppressed cell gets no bar and no
point: its label is written where the number would be, so a chart never shows more than the
table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Cell = int | float | str
PALETTE = ("#1f6f8b", "#e07a1f", "#5b8c2a", "#8e3b87", "#b23a48", "#4a4a4a")
_ARABIC = range(0x0600, 0x0700)


def _is_rtl(text: str) -> bool:
    return any(ord(char) in _ARABIC for char in text)


def _text(x: float, y: float, text: str, anchor: str = "start", css: str = "") -> str:
    """Return an SVG text element; Arabic text is marked right to left.

    `anchor` is meant on the page (start = left); in right-to-left text SVG reads start and end
    the other way round, so they are swapped to keep the text where it was meant to be.
    """
    rtl = _is_rtl(text)
    if rtl:
        anchor = {"start": "end", "end": "start"}.get(anchor, anchor)
    attributes = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"'
    if css:
        attributes += f' class="{css}"'
    if rtl:
        attributes += ' direction="rtl" unicode-bidi="embed" xml:lang="ar"'
    return f"<text {attributes}>{escape(text)}</text>"


def format_cell(value: Cell, percent: bool = False) -> str:
    """Return a cell as shown: thousands separated, a rate with one decimal, labels as they are."""
    if isinstance(value, str):
        return value
    if percent:
        return f"{value:.1f}%"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


@dataclass(frozen=True)
class Bar:
    """One bar: its label and its value."""

    label: str
    value: Cell


def bar_chart(bars: Sequence[Bar], title: str, percent: bool = False) -> Markup:
    """Return a horizontal bar chart with each bar's number at its end."""
    row_height, label_width, bar_width, number_width = 26, 150, 300, 80
    height = row_height * max(len(bars), 1) + 8
    width = label_width + bar_width + number_width
    numbers = [bar.value for bar in bars if not isinstance(bar.value, str)]
    top = max([float(n) for n in numbers] + [0.0]) or 1.0
    parts = [f'<svg class="chart bar-chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        y = 4 + index * row_height
        label = bar.label if len(bar.label) <= 22 else bar.label[:21] + "…"
        parts.append(_text(label_width - 8, y + 17, label, "end", "label"))
        length = 0.0 if isinstance(bar.value, str) else bar_width * float(bar.value) / top
        if length > 0:
            parts.append(f'<rect class="bar" x="{label_width}" y="{y + 4}" '
                         f'width="{max(length, 2):.1f}" height="{row_height - 8}" '
                         f'fill="{PALETTE[0]}"><title>{escape(bar.label)}: '
                         f"{escape(format_cell(bar.value, percent))}</title></rect>")
        parts.append(_text(label_width + length + 6, y + 17, format_cell(bar.value, percent),
                           "start", "number"))
    if not bars:
        parts.append(_text(label_width, 20, "—", "start", "number"))
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str,
    percent: bool = False,
) -> Markup:
    """Return a line chart of one or more series over `labels` (None: no point there)."""
    width, height = 640, 260
    left, right, top_margin, bottom = 56, 16, 16, 56
    plot_w, plot_h = width - left - right, height - top_margin - bottom
    values = [v for points in series.values() for v in points if v is not None]
    top = max(values + [0.0]) or 1.0
    if percent:
        top = min(100.0, top * 1.1) or 1.0
    step = plot_w / max(len(labels) - 1, 1)
    parts = [f'<svg class="chart line-chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
             f"<title>{escape(title)}</title>"]
    for tick in range(5):
        value = top * tick / 4
        y = top_margin + plot_h - plot_h * tick / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(_text(left - 6, y + 4, format_cell(round(value, 1), percent), "end",
                           "axis"))
    every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % every == 0 or index == len(labels) - 1:
            x = left + index * step
            parts.append(_text(x, height - bottom + 18, label[5:] if len(label) == 10 else label,
                               "middle", "axis"))
    for number, (name, points) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        path: list[str] = []
        for index, value in enumerate(points):
            if value is None:
                if len(path) > 1:
                    parts.append(_polyline(path, colour))
                path = []
                continue
            x = left + index * step
            y = top_margin + plot_h - plot_h * value / top
            path.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                         f'fill="{colour}"><title>{escape(name)} {escape(labels[index])}: '
                         f"{escape(format_cell(value, percent))}</title></circle>")
        if len(path) > 1:
            parts.append(_polyline(path, colour))
        legend_x = left + number * 120
        parts.append(f'<rect x="{legend_x}" y="{height - 22}" width="12" height="12" '
                     f'fill="{colour}"/>')
        parts.append(_text(legend_x + 16, height - 12, name, "start", "legend"))
    parts.append("</svg>")
    return Markup("".join(parts))


def _polyline(points: list[str], colour: str) -> str:
    return (f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
            f'points="{" ".join(points)}"/>')
