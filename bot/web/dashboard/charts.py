"""Charts as server-rendered SVG: bar charts, line charts and a budget meter.

Why SVG drawn here rather than a vendored JavaScript library: the pages must work under a
CSP without inline script and with no build step or CDN. An SVG written into the HTML by the
server needs no script at all, prints, works with JavaScript off, is covered by the same
autoescaping as the rest of the page, and is testable as text (the numbers a chart shows are
in its markup). The charts here are simple (bars, a few lines over days), so a library would
add kilobytes and a second rendering path for no gain. Live updates swap the server's fresh
HTML fragment in, charts included, so there is one renderer.

Colours are SVG presentation attributes (`fill="…"`), not `style` attributes, which a strict
CSP (`style-src 'self'`) would refuse. Every mark carries a `<title>`, the browser's tooltip
and the screen reader's text. Labels are untrusted (phase names, model names): every string
goes through `markupsafe.escape`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

Format = Callable[[int], str]

PALETTE = ("#0969da", "#1a7f37", "#bc4c00", "#8250df", "#bf3989", "#9a6700", "#57606a")
WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 90
BAR_HEIGHT = 18
BAR_GAP = 6
LINE_HEIGHT = 220
PAD = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]  # one per x position


def plain(value: int) -> str:
    return f"{value:,}"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    )
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{escape(text)}</text>'


def _cut(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, label: str, fmt: Format = plain) -> Markup:
    """Horizontal bars, longest value full width; an empty chart says so."""
    if not bars:
        return empty_chart(label)
    top = max(max(bar.value for bar in bars), 1)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = PAD / 2 + i * (BAR_HEIGHT + BAR_GAP)
        length = max(span * bar.value / top, 1 if bar.value else 0)
        tip = f"{bar.label}: {fmt(bar.value)}"
        body.append(_text(LABEL_WIDTH - 8, y + 13, _cut(bar.label), anchor="end"))
        body.append(
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y:.1f}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{colour(i)}"><title>{escape(tip)}</title></rect>'
        )
        body.append(_text(LABEL_WIDTH + length + 6, y + 13, fmt(bar.value), css="value"))
    height = int(PAD + len(bars) * (BAR_HEIGHT + BAR_GAP))
    return _svg(WIDTH, height, label, body)


def empty_chart(label: str) -> Markup:
    body = [_text(WIDTH / 2, 34, "No data yet", anchor="middle", css="muted")]
    return _svg(WIDTH, 60, label, body)


@dataclass(frozen=True)
class _Frame:
    """The plot area of a line chart and its scale."""

    count: int
    top: int
    left: float = 70.0
    right: float = WIDTH - 20.0
    upper: float = 20.0
    lower: float = LINE_HEIGHT - 40.0

    def x(self, index: int) -> float:
        if self.count == 1:
            return (self.left + self.right) / 2
        return self.left + (self.right - self.left) * index / (self.count - 1)

    def y(self, value: int) -> float:
        return self.lower - (self.lower - self.upper) * value / self.top


def _axes(frame: _Frame, xs: Sequence[str], fmt: Format) -> list[str]:
    body = [
        f'<line class="axis" x1="{frame.left}" y1="{frame.lower}" x2="{frame.right}" '
        f'y2="{frame.lower}" stroke="#8c959f"/>'
    ]
    for value in (0, frame.top // 2, frame.top):
        y = frame.y(value)
        body.append(
            f'<line class="grid" x1="{frame.left}" y1="{y:.1f}" x2="{frame.right}" '
            f'y2="{y:.1f}" stroke="#d0d7de" stroke-dasharray="2 3"/>'
        )
        body.append(_text(frame.left - 6, y + 4, fmt(value), anchor="end", css="tick"))
    for index in sorted({0, len(xs) // 2, len(xs) - 1}):
        body.append(_text(frame.x(index), frame.lower + 16, xs[index], anchor="middle", css="tick"))
    return body


def _line(frame: _Frame, series: Series, index: int, xs: Sequence[str], fmt: Format) -> list[str]:
    points = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in enumerate(series.values))
    body = [
        f'<polyline class="line" points="{points}" fill="none" stroke="{colour(index)}" '
        f'stroke-width="2"/>'
    ]
    for i, value in enumerate(series.values):
        tip = f"{series.name}, {xs[i]}: {fmt(value)}"
        body.append(
            f'<circle class="point" cx="{frame.x(i):.1f}" cy="{frame.y(value):.1f}" r="3" '
            f'fill="{colour(index)}"><title>{escape(tip)}</title></circle>'
        )
    return body


def _legend(series: Sequence[Series]) -> list[str]:
    body: list[str] = []
    for i, line in enumerate(series):
        x = 70 + (i % 4) * 140
        y = LINE_HEIGHT - 12 + (i // 4) * 16
        body.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour(i)}"/>')
        body.append(_text(x + 14, y, _cut(line.name, 18), css="legend"))
    return body


def line_chart(
    series: Sequence[Series], xs: Sequence[str], *, label: str, fmt: Format = plain
) -> Markup:
    """One line per series over the x positions `xs` (days), a shared y scale from 0."""
    if not xs or not series:
        return empty_chart(label)
    top = max(max(max(s.values, default=0) for s in series), 1)
    frame = _Frame(count=len(xs), top=top)
    body = _axes(frame, xs, fmt)
    for index, line in enumerate(series):
        body += _line(frame, line, index, xs, fmt)
    body += _legend(series)
    height = LINE_HEIGHT + 16 * ((len(series) - 1) // 4)
    return _svg(WIDTH, height, label, body)


def meter(spent: int, budget: int, *, label: str, fmt: Format = plain) -> Markup:
    """Spend against budget: a filled track, red once past the budget."""
    share = 0.0 if budget <= 0 else min(spent / budget, 1.0)
    over = budget > 0 and spent > budget
    fill = "#cf222e" if over else "#1a7f37"
    text = f"{fmt(spent)} of {fmt(budget)}" if budget > 0 else f"{fmt(spent)} (no budget)"
    body = [
        f'<rect x="0" y="4" width="{WIDTH}" height="16" rx="4" fill="#eaeef2"/>',
        f'<rect class="spent" x="0" y="4" width="{WIDTH * share:.1f}" height="16" rx="4" '
        f'fill="{fill}"><title>{escape(text)}</title></rect>',
        _text(0, 38, text, css="value"),
    ]
    return _svg(WIDTH, 44, label, body)
