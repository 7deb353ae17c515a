"""A figure of the report: its title, drawing, caption and numbers in a table, and numbers with digit
grouping (the tables, the tooltips and the map's legend print them so)."""

from __future__ import annotations

import html
from collections.abc import Sequence


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


def number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"
