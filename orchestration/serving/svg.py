"""The report's drawing primitives: an inline SVG element of the page's width, linear scales and tidy
axis ranges, numbers with digit grouping, an HTML table and a figure with its caption and numbers."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

WIDTH, HEIGHT = 640, 300
MARGIN = {"left": 84, "right": 150, "top": 16, "bottom": 36}


def figure_html(chart_id: str, title: str, drawing: str, table: str, caption: str) -> str:
    return (
        f'<figure class="chart" id="{chart_id}"><h2>{html.escape(title)}</h2>{drawing}'
        f"<figcaption>{html.escape(caption)}</figcaption>"
        f"<details><summary>numbers</summary>{table}</details></figure>"
    )


def table_html(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def axes(y_of: Callable[[float], float], low: float, high: float, unit: str) -> list[str]:
    parts = []
    for i in range(5):
        value = low + (high - low) * i / 4
        y = y_of(value)
        parts.append(
            f'<line x1="{MARGIN["left"]}" y1="{y:.1f}" x2="{WIDTH - MARGIN["right"]}" y2="{y:.1f}" stroke="#e5e5e5"/>'
        )
        label = number(value, 0 if high >= 10 else 1)
        parts.append(f'<text x="{MARGIN["left"] - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{label}</text>')
    parts.append(f'<text x="8" y="{MARGIN["top"] + 4}" class="tick">{html.escape(unit)}</text>')
    return parts


def svg(title: str, parts: Sequence[str], height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">{"".join(parts)}</svg>'
    )


def empty_svg(title: str) -> str:
    text = '<text x="20" y="40" class="legend">no figure to draw</text>'
    return svg(title, [text], 60)


def linear(d0: float, d1: float, r0: float, r1: float) -> Callable[[float], float]:
    span = (d1 - d0) or 1.0
    return lambda v: r0 + (v - d0) / span * (r1 - r0)


def nice_range(low: float, high: float) -> tuple[float, float]:
    if high <= low:
        high = low + 1
    step = 10 ** math.floor(math.log10(high - low))
    for factor in (1, 2, 2.5, 5, 10):
        if (high - low) / (step * factor) <= 5:
            step *= factor
            break
    return math.floor(low / step) * step, math.ceil(high / step) * step


def number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def text_width(text: str) -> int:
    """About how wide ``text`` is in a legend: 12 px a Chinese character, 7 px anything else."""
    return sum(12 if ord(character) >= 0x2E80 else 7 for character in text)
