"""`warehouse report`: one self-contained HTML page of charts, drawn from the published warehouse.

The page needs nothing but a browser and fetches nothing: the map is inline SVG projected here
(cluster_map.py); the charts are Vega-Lite specifications (altair) that vega-embed, inlined once in the
page, draws with tooltips, zoom and export (charts.py says why interactive). So the page opens offline
and can be archived beside a release. Every mark carries the mart value it stands for (the map's in
``data-value``, the charts' in their datum's ``value``) and every chart has its numbers in a table under
it, so what the chart shows can be checked against the marts.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import altair as alt

from orchestration.serving.charts import MARKS, UNIT_AXIS, chart_html, empty_html, page_script
from orchestration.serving.claims_chart import CLAIMS_SQL, claims_figure
from orchestration.serving.cluster_map import MEASURES, Measure, map_svg, map_year, members_of
from orchestration.serving.figure import figure_html, number, table_html
from orchestration.serving.query import connect_reader

CLUSTER_COLOURS = {"yrd": "#1f77b4", "myr": "#d62728", "cy": "#2ca02c"}
# the two statistical views of mart_cluster_year: how the legend names each (solid and dots, dashed and squares)
VIEWS = {"latest": "latest available", "first_published": "as first published"}
SHAPES = {"latest": "circle", "first_published": "square"}  # of a view's dots
REPORTED_ONLY = "reported members only"  # the key of hollow marks: a figure over the members that reported


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
        script=page_script(),
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
    drawing = map_svg(title, members, measure, drawn)
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
    reported (those cover different members from year to year). A year without a complete figure breaks
    the line."""
    rows = [
        {
            "series": s.key,
            "cluster": s.label,
            "view": s.view,
            "figures": VIEWS[s.view],
            "x": p.x,
            "value": p.y,
            "complete": p.complete,
            "text": "" if p.y is None else f"{number(p.y / chart.scale, chart.digits)} {chart.unit}",
            "members": "all" if p.complete else p.note,
        }
        for s in series
        for p in s.points
    ]
    if all(row["value"] is None for row in rows):
        return empty_html("no figure to draw")
    names = list(dict.fromkeys(s.label for s in series))
    colours = list(dict.fromkeys(s.colour for s in series))
    views = list(VIEWS.values())
    drawn = [row["x"] for row in rows if row["value"] is not None]
    years = alt.Scale(domain=[min(drawn), max(drawn)], nice=False, padding=8)  # the years with figures, a dot's room
    base = (
        alt.Chart(alt.InlineData(values=rows))
        .transform_calculate(  # in the browser, to keep the page's data small
            shown=f"datum.value == null ? null : datum.value / {chart.scale!r}",
            line="datum.complete ? datum.shown : null",  # a line joins complete figures only
            fill=f"datum.complete ? datum.cluster : {json.dumps(REPORTED_ONLY)}",
            label="datum.cluster + ' ' + datum.x + ', ' + datum.figures + ': ' + datum.text"
            " + (datum.complete ? '' : ' — incomplete: ' + datum.members)",
        )
        .encode(
            x=alt.X("x:Q", title=None, scale=years, axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y("shown:Q", title=chart.unit, axis=UNIT_AXIS),
            stroke=alt.Stroke("cluster:N", scale=alt.Scale(domain=names, range=colours), legend=None),
        )
    )
    lines = base.mark_line(strokeWidth=2).encode(
        y="line:Q",
        strokeDash=alt.StrokeDash(
            "figures:N",
            scale=alt.Scale(domain=views, range=[[1, 0], [6, 4]]),
            # one key for the line and the dot of a view (a key of shapes would take the dash's place)
            legend=alt.Legend(
                title="figures",
                symbolType="stroke",
                symbolStrokeWidth=2,
                symbolStrokeColor="#555",
                symbolSize=400,  # a stroke 20 px long, long enough to show its dash
                labelExpr=f"datum.label + ({json.dumps(VIEWS['latest'])} == datum.label ? ' ●' : ' ■')",
            ),
        ),
    )
    points = (
        base.mark_point(filled=True, size=36, strokeWidth=1.5, opacity=1)
        .encode(
            fill=alt.Fill(
                "fill:N",
                scale=alt.Scale(domain=[*names, REPORTED_ONLY], range=[*colours, "white"]),
                legend=alt.Legend(title="cluster", symbolStrokeColor="#555", symbolStrokeWidth=1),
            ),
            # no key of its own: the figures' key names a view's dot
            shape=alt.Shape("view:N", scale=alt.Scale(domain=list(SHAPES), range=list(SHAPES.values())), legend=None),
            description="label:N",
            tooltip=[
                alt.Tooltip("cluster:N"),
                alt.Tooltip("x:Q", title="year", format="d"),
                alt.Tooltip("figures:N"),
                alt.Tooltip("text:N", title=chart.title),
                alt.Tooltip("members:N"),
            ],
        )
        .transform_filter("datum.shown != null")
        .add_params(alt.selection_interval(bind="scales"))
        .properties(name=MARKS)
    )
    return chart_html(alt.layer(lines, points).properties(width=460, height=260))


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
    rows, table, order = [], [], []
    for cluster_id, name, _ in clusters:
        latest = _rows_of(years, cluster_id, "latest").set_index("year")
        cluster_years = structure_years(years, cluster_id)
        if not cluster_years:
            order.append(name)
            rows.append({"row": name, "note": "no year with all members' three sectors"})
        for year in cluster_years:
            label = f"{name} {year}"
            order.append(label)
            for index, (column, (sector, _)) in enumerate(SECTORS.items()):
                share = float(latest.at[year, column])
                rows.append(
                    {"row": label, "series": cluster_id, "x": year, "sector": sector, "order": index, "value": share,
                     "text": f"{share:.1%}", "label": f"{label}: {sector} sector {share:.1%} of value added"}
                )  # fmt: skip
            table.append((label, *(f"{latest.at[year, c]:.1%}" for c in SECTORS)))
    y = alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelFontSize=12, labelColor="#222"))
    data = alt.Chart(alt.InlineData(values=rows))
    bars = (
        data.mark_bar()
        .encode(
            y=y,
            x=alt.X("value:Q", title=None, stack="zero", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "sector:N",
                scale=alt.Scale(domain=[s for s, _ in SECTORS.values()], range=[c for _, c in SECTORS.values()]),
                legend=alt.Legend(title="sector", orient="bottom", direction="horizontal"),
            ),
            order="order:Q",
            description="label:N",
            tooltip=[alt.Tooltip("row:N", title="cluster, year"), "sector:N", alt.Tooltip("text:N", title="share")],
        )
        .transform_filter("datum.sector != null")
        .properties(name=MARKS)
    )
    notes = (
        data.mark_text(align="left", dx=6, color="#444")
        .encode(y=y, x=alt.datum(0), text="note:N")
        .transform_filter("datum.note != null")
    )
    caption = (
        "Value added of the primary, secondary and tertiary sectors as shares of their sum, latest available "
        "figures, in a year only when every member has all three (a cluster without such a year is named)."
    )
    header = ("cluster, year", *(sector for sector, _ in SECTORS.values()))
    drawing = chart_html(alt.layer(bars, notes).properties(width=480, height=alt.Step(20)))
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
        name = f"{s.label}, {VIEWS[s.view]}"
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
#cluster_map svg text {{ font-size: 11px; fill: #444; }} #cluster_map svg .legend {{ font-size: 12px; fill: #222; }}
.vega-embed {{ display: block; }}
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
{script}
</body></html>
"""
