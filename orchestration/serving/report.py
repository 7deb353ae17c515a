"""`warehouse report`: one self-contained HTML page of charts, drawn from the published warehouse.

The page needs nothing but a browser: the charts are inline SVG written here (no script, no font or
style sheet from the network), so it can be mailed, opened offline or archived beside a release. Every
mark carries the mart value it stands for in ``data-value`` and every chart has its numbers in a table
under it, so what the chart shows can be checked against the marts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orchestration.serving.claims_chart import CLAIMS_SQL, claims_figure
from orchestration.serving.cluster_map import MEASURES, Measure, map_parts, map_year, members_of
from orchestration.serving.query import connect_reader
from orchestration.serving.svg import (
    HEIGHT,
    MARGIN,
    WIDTH,
    axes,
    empty_svg,
    figure_html,
    linear,
    nice_range,
    number,
    svg,
    table_html,
)

CLUSTER_COLOURS = {"yrd": "#1f77b4", "myr": "#d62728", "cy": "#2ca02c"}
# the two statistical views of mart_cluster_year and how a line of each is drawn
VIEWS = {"latest": ("latest available", ""), "first_published": ("as first published", "6 4")}


@dataclass(frozen=True)
class Point:
    x: int
    y: float | None
    complete: bool  # every member has a figure; otherwise y covers only the members that reported
    note: str = ""


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    points: Sequence[Point]
    view: str = "latest"  # a mart_cluster_year statistics_view: latest drawn solid, first_published dashed


@dataclass(frozen=True)
class Chart:
    """One figure of the report: what it shows, the mart column behind it, how to print its values."""

    chart_id: str
    title: str
    column: str
    reported_column: str
    unit: str
    scale: float
    caption: str
    digits: int = 0
    table_extra: tuple[str, str] | None = None  # (label, mart_cluster_year column) also listed in the table


CLUSTER_CHARTS = [
    Chart("gdp", "GDP by cluster", "gdp_yuan", "gdp_reported_yuan", "亿元", 1e8, "Sum of the members' GDP."),
    Chart(
        "population",
        "Population by cluster",
        "population_persons",
        "population_reported_persons",
        "万人",
        1e4,
        "Year-end resident population (census population in census years when that is all there is).",
    ),
    Chart(
        "gdp_per_capita",
        "GDP per person",
        "gdp_per_capita_yuan",
        "gdp_per_capita_reported_yuan",
        "元",
        1,
        "Cluster GDP ÷ cluster population.",
    ),
    Chart(
        "share_of_national_gdp",
        "Share of national GDP",
        "share_of_national_gdp",
        "share_of_national_gdp_reported",
        "%",
        0.01,
        "Cluster GDP ÷ national GDP of the same year.",
        digits=1,
    ),
    Chart(
        "concentration",
        "Concentration: largest city's share of cluster GDP",
        "largest_city_gdp_share",
        "largest_city_gdp_share_reported",
        "%",
        0.01,
        "A falling line means the cluster's output spreads beyond its largest city (HHI in the table).",
        digits=1,
        table_extra=("HHI", "gdp_hhi"),
    ),
]


# each member-year of the latest view with the member's boundary and the GDP of the year before (for growth)
MAP_SQL = """
select d.city_code, d.city_name_zh, d.cluster_id, d.coverage, b.boundary_wkt, m.year, m.gdp_yuan,
       m.population_persons, before.gdp_yuan as previous_gdp_yuan
from marts.dim_city as d
join marts.dim_city_boundary as b using (city_code)
left join marts.mart_cluster_member_year as m
    on m.city_code = d.city_code and m.statistics_view = 'latest'
left join marts.mart_cluster_member_year as before
    on before.city_code = m.city_code and before.year = m.year - 1 and before.statistics_view = 'latest'
where d.is_cluster_member
order by d.city_code, m.year
"""


def build_report(serving_path: Path, map_measure: str = "gdp_per_capita") -> str:
    """The report as one HTML document, from the marts in ``serving_path`` (opened read-only); the map is
    coloured by ``map_measure`` (a key of cluster_map.MEASURES)."""
    measure = MEASURES[map_measure]
    conn = connect_reader(serving_path)
    try:
        cursor = conn.execute(MAP_SQL)
        names = [column[0] for column in cursor.description]
        map_rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        clusters = conn.sql(
            "select cluster_id, cluster_short_name_zh, member_count from marts.dim_cluster order by cluster_id"
        ).fetchall()
        years = conn.sql("select * from marts.mart_cluster_year order by cluster_id, statistics_view, year").df()
        claims = conn.sql(CLAIMS_SQL).fetchall()
        published = conn.execute("select max(published_at), any_value(refresh_id) from meta.publication").fetchall()[0]
    finally:
        conn.close()

    sections = [_map_figure(map_rows, measure, clusters)]
    for chart in CLUSTER_CHARTS:
        series = [
            Series(
                cluster_id,
                name,
                CLUSTER_COLOURS.get(cluster_id, "#555"),
                [_point(row, chart) for _, row in _rows_of(years, cluster_id, view).iterrows()],
                view,
            )
            for cluster_id, name, _ in clusters
            for view in VIEWS
        ]
        table = _series_table(series, chart, years)
        sections.append(_figure(chart, line_chart(series, chart), table))
    sections.append(_structure_figure(years, clusters))
    sections.append(claims_figure(claims))
    published_at, refresh_id = published
    return PAGE.format(
        published=html.escape(f"{published_at:%Y-%m-%d %H:%M} UTC, refresh {refresh_id}"),
        clusters=html.escape(", ".join(f"{name} ({count} members)" for _, name, count in clusters)),
        sections="\n".join(sections),
    )


def _rows_of(years, cluster_id: str, view: str):
    return years[(years.cluster_id == cluster_id) & (years.statistics_view == view)]


def _point(row, chart: Chart) -> Point:
    """The cluster's figure when every member reported, else the figure over the members that did."""
    coverage = (
        f"GDP from {row.gdp_cities_reported} and population from {row.population_cities_reported} "
        f"of {row.member_count} members"
    )
    if not _missing(row[chart.column]):
        return Point(int(row.year), float(row[chart.column]), True)
    value = row[chart.reported_column]
    return Point(int(row.year), None if _missing(value) else float(value), False, coverage)


def write_report(serving_path: Path, output: Path, map_measure: str = "gdp_per_capita") -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(build_report(serving_path, map_measure), encoding="utf-8")
    return output


def _map_figure(rows: list[dict], measure: Measure, clusters: Sequence[tuple]) -> str:
    """Every member drawn from its boundary, coloured by ``measure`` in the latest year most members have it."""
    year = map_year(rows, measure)
    members = members_of(rows, measure, year)
    title = f"{measure.title}, {year if year is not None else 'no year with figures'} (latest available)"
    names = {cluster_id: name for cluster_id, name, _ in clusters}
    drawn = {
        m.cluster_id: (names.get(m.cluster_id, m.cluster_id), CLUSTER_COLOURS.get(m.cluster_id, "#555"))
        for m in members
    }
    parts, height = map_parts(members, measure, drawn)
    drawing = svg(title, parts, height)
    table = table_html(
        ("city", "code", "cluster", measure.unit),
        [
            (m.name + (" (partial)" if m.partial else ""), m.city_code, names.get(m.cluster_id, m.cluster_id),
             "" if m.value is None else measure.text(m.value))
            for m in members
        ],
    )  # fmt: skip
    with_value = sum(m.value is not None for m in members)
    caption = (
        f"The {len(members)} members drawn from their boundaries (dim_city_boundary; on the bundled data the "
        "census table's), "
        f"coloured by quintile of {measure.title.lower()} in {year}, latest available figures; {with_value} have "
        "one (grey: none). Partial members (dashed outline) are counted whole in the marts; each cluster is "
        "outlined in its colour. Albers equal-area projection, simplified to about a pixel."
    )
    return figure_html("cluster_map", title, drawing, table, caption)


def line_chart(series: Sequence[Series], chart: Chart) -> str:
    """Lines and dots for complete figures (solid lines and round dots for the latest view, dashed lines
    and squares as first published); hollow marks, unconnected, for figures over the members that
    reported (those cover different members from year to year)."""
    values = [p.y / chart.scale for s in series for p in s.points if p.y is not None]
    xs = sorted({p.x for s in series for p in s.points})
    if not values:
        return empty_svg(chart.title)
    low, high = nice_range(min(0.0, min(values)), max(values))
    x_of = linear(xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1, MARGIN["left"], WIDTH - MARGIN["right"])
    y_of = linear(low, high, HEIGHT - MARGIN["bottom"], MARGIN["top"])
    parts = axes(y_of, low, high, chart.unit)
    step = max(1, math.ceil(len(xs) / 10))  # at most about ten year labels
    parts += [
        f'<text x="{x_of(x):.1f}" y="{HEIGHT - 12}" text-anchor="middle" class="tick">{x}</text>'
        for x in xs
        if (x - xs[0]) % step == 0
    ]
    for s in series:
        dash = f' stroke-dasharray="{VIEWS[s.view][1]}"' if VIEWS[s.view][1] else ""
        for run in _runs(s.points):
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{x_of(p.x):.1f},{y_of(p.y / chart.scale):.1f}" for i, p in enumerate(run)
            )
            parts.append(f'<path d="{path}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}/>')
        for p in s.points:
            if p.y is None:
                continue
            label = f"{s.label} {p.x}, {VIEWS[s.view][0]}: {number(p.y / chart.scale, chart.digits)} {chart.unit}"
            label += "" if p.complete else f" — incomplete: {p.note}"
            attributes = (
                f'class="mark" fill="{s.colour if p.complete else "white"}" stroke="{s.colour}" stroke-width="1.5" '
                f'data-series="{s.key}" data-view="{s.view}" data-x="{p.x}" '
                f'data-complete="{str(p.complete).lower()}" data-value="{p.y!r}"'
            )
            parts.append(_marker(s.view, x_of(p.x), y_of(p.y / chart.scale), attributes, html.escape(label)))
    labels = list(dict.fromkeys((s.label, s.colour) for s in series))
    legend_x = WIDTH - MARGIN["right"] + 16
    for index, (label, colour) in enumerate(labels):
        legend_y = MARGIN["top"] + 18 * index + 8
        parts.append(
            f'<g class="key"><rect x="{legend_x}" y="{legend_y - 8}" width="14" height="4" fill="{colour}"/>'
            f'<text x="{legend_x + 20}" y="{legend_y}" class="legend">{html.escape(label)}</text></g>'
        )
    for index, (view, (name, dash)) in enumerate(VIEWS.items()):
        legend_y = MARGIN["top"] + 18 * (len(labels) + index) + 14
        parts.append(
            f'<g class="key"><line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 14}" y2="{legend_y - 4}" '
            f'stroke="#555" stroke-width="2" stroke-dasharray="{dash or "none"}"/>'
            + _marker(view, legend_x + 7, legend_y - 4, 'fill="#555"', name)
            + f'<text x="{legend_x + 20}" y="{legend_y}" class="legend">{name}</text></g>'
        )
    legend_y = MARGIN["top"] + 18 * (len(labels) + len(VIEWS)) + 20
    parts.append(
        '<g class="key">'
        + _marker(
            "latest", legend_x + 7, legend_y - 4, 'fill="white" stroke="#555" stroke-width="1.5"', "reported only"
        )
        + f'<text x="{legend_x + 20}" y="{legend_y}" class="legend">reported only</text></g>'
    )
    return svg(chart.title, parts)


def _marker(view: str, x: float, y: float, attributes: str, title: str) -> str:
    """A dot (latest view) or a square (first published) at (x, y)."""
    if view == "latest":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" {attributes}><title>{title}</title></circle>'
    return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" {attributes}><title>{title}</title></rect>'


SECTORS = {
    "primary_sector_share": ("primary", "#8c6d31"),
    "secondary_sector_share": ("secondary", "#6b6ecf"),
    "tertiary_sector_share": ("tertiary", "#e7969c"),
}
STRUCTURE_YEARS = (2000, 2005, 2010, 2015, 2020)  # and the last year with figures


def structure_years(years, cluster_id: str) -> list[int]:
    """The years of the industry structure chart for a cluster: STRUCTURE_YEARS and its last year, of
    those with every member's three sectors in the latest view."""
    rows = _rows_of(years, cluster_id, "latest")
    complete = sorted(int(y) for y in rows[rows.tertiary_sector_share.notna()].year)
    return [y for y in complete if y in STRUCTURE_YEARS or y == complete[-1]]


def _structure_figure(years, clusters: Sequence[tuple]) -> str:
    """Each cluster's value added by sector, as shares of the three sectors' sum, in a few years."""
    row_height, left = 20, 150
    x_of = linear(0, 1, left, WIDTH - 40)
    rows = [(cluster_id, name, structure_years(years, cluster_id)) for cluster_id, name, _ in clusters]
    height = MARGIN["top"] + 40 + row_height * sum(max(len(ys), 1) for *_, ys in rows)
    parts, table, y = [], [], MARGIN["top"]
    for cluster_id, name, cluster_years in rows:
        latest = _rows_of(years, cluster_id, "latest").set_index("year")
        if not cluster_years:
            parts.append(
                f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" class="legend">{html.escape(name)}</text>'
                f'<text x="{left}" y="{y + 14}" class="tick">no year with all members\' three sectors</text>'
            )
            y += row_height
            continue
        for year in cluster_years:
            start = 0.0
            label = f"{name} {year}"
            parts.append(
                f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" class="legend">{html.escape(label)}</text>'
            )
            for column, (sector, colour) in SECTORS.items():
                share = float(latest.at[year, column])
                title = html.escape(f"{label}: {sector} sector {share:.1%} of value added")
                width = x_of(start + share) - x_of(start)
                parts.append(
                    f'<rect class="mark" x="{x_of(start):.1f}" y="{y + 3}" width="{width:.1f}" '
                    f'height="{row_height - 6}" fill="{colour}" data-series="{cluster_id}" data-x="{year}" '
                    f'data-sector="{sector}" data-value="{share!r}"><title>{title}</title></rect>'
                )
                start += share
            table.append((label, *(f"{latest.at[year, c]:.1%}" for c in SECTORS)))
            y += row_height
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<text x="{x_of(tick):.1f}" y="{y + 16}" text-anchor="middle" class="tick">{tick:.0%}</text>')
    for index, (sector, colour) in enumerate(SECTORS.values()):
        x = left + 110 * index
        parts.append(
            f'<g class="key"><rect x="{x}" y="{y + 26}" width="12" height="10" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y + 35}" class="legend">{sector}</text></g>'
        )
    caption = (
        "Value added of the primary, secondary and tertiary sectors as shares of their sum, latest available "
        "figures, in a year only when every member has all three (a cluster without such a year is named)."
    )
    header = ("cluster, year", *(sector for sector, _ in SECTORS.values()))
    drawing = svg("Industry structure by cluster", parts, height)
    return figure_html(
        "industry_structure", "Industry structure by cluster", drawing, table_html(header, table), caption
    )


def _figure(chart: Chart, drawing: str, table: str) -> str:
    caption = (
        f"{chart.caption} Solid lines and dots: the latest available figures (revisions and yearbook finals "
        "included); dashed lines and squares: each figure as first published. A filled mark is the whole "
        "cluster; a hollow one covers only the members with a figure that year (hover for how many), so hollow "
        "marks of different years are not comparable."
    )
    return figure_html(chart.chart_id, f"{chart.title} ({chart.unit})", drawing, table, caption)


def _series_table(series: Sequence[Series], chart: Chart, years) -> str:
    xs = sorted({p.x for s in series for p in s.points})
    rows = []
    for s in series:
        points = {p.x: p for p in s.points}
        name = f"{s.label}, {VIEWS[s.view][0]}"
        rows.append((name, *(_cell(points.get(x), chart) for x in xs)))
        if chart.table_extra:
            label, column = chart.table_extra
            extra = _rows_of(years, s.key, s.view).set_index("year")[column]
            rows.append((f"{name}: {label}", *("" if _missing(extra.get(x)) else f"{extra[x]:.3f}" for x in xs)))
    note = "* over the members that reported only"
    return table_html(("cluster", *map(str, xs)), rows) + f'<p class="meta">{note}</p>'


def _cell(point: Point | None, chart: Chart) -> str:
    if point is None or point.y is None:
        return ""
    return number(point.y / chart.scale, chart.digits) + ("" if point.complete else "*")


def _runs(points: Sequence[Point]) -> list[list[Point]]:
    """Two or more consecutive complete points, so an incomplete or missing year breaks the line."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point.complete and point.y is not None:
            runs[-1].append(point)
        else:
            runs.append([])
    return [run for run in runs if len(run) > 1]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>Yangtze city clusters — warehouse report</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2rem auto; max-width: 720px;
       color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.5rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.1rem; margin: 0 0 .4rem; }}
.meta {{ color: #666; font-size: .9rem; }}
figure.chart {{ margin: 2rem 0; }} figcaption {{ color: #555; font-size: .85rem; }}
svg text {{ font-size: 11px; fill: #444; }} svg .legend {{ font-size: 12px; fill: #222; }}
table {{ border-collapse: collapse; font-size: .8rem; margin-top: .4rem; }}
td, th {{ border-bottom: 1px solid #eee; padding: 2px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }} td + td {{ white-space: nowrap; }}
</style></head>
<body>
<h1>Yangtze city clusters</h1>
<p class="meta">From the published warehouse: {published}. Clusters: {clusters}.
Each chart draws both statistical views of the marts: the latest available figure of every member (solid) and
each figure as first published (dashed). A line joins only years in which every member has a figure.
Members that belong to a cluster only in part are counted whole.</p>
{sections}
</body></html>
"""
