"""The report's map: every cluster member drawn from its boundary and coloured by a measure.

Boundaries come from ``marts.dim_city_boundary`` (WKT in longitude/latitude). They are projected to an
Albers equal-area conic fitted to China (pyproj), simplified in that plane (shapely, to about a pixel),
and written as inline SVG paths: the page fetches nothing. Each member's path carries its city code, its
cluster and the value it is coloured by; partial members have a dashed outline, and each cluster is
outlined in its colour.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

# Albers equal-area conic with China's usual standard parallels
PROJECTION = "+proj=aea +lat_0=0 +lon_0=110 +lat_1=25 +lat_2=47 +datum=WGS84 +units=m +no_defs"
WIDTH, HEIGHT, PAD = 640, 460, 12  # HEIGHT: at most
LEGEND_WIDTH = 150
CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")  # ColorBrewer YlGnBu, 5 classes
NO_VALUE_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Measure:
    title: str
    unit: str
    scale: float  # the value is divided by this for labels
    digits: int
    value: Callable[[dict], float | None]  # of a member's row

    def text(self, value: float) -> str:
        """``value`` as the legend and the table print it: in the measure's scale, with its digits."""
        return f"{value / self.scale:,.{self.digits}f}"


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


MEASURES = {
    "gdp_per_capita": Measure(
        "GDP per person", "元", 1, 0, lambda row: _ratio(row["gdp_yuan"], row["population_persons"])
    ),
    "population": Measure("Population", "万人", 1e4, 1, lambda row: row["population_persons"]),
    "growth": Measure(
        "Nominal GDP growth over the year before",
        "%",
        1,
        1,
        lambda row: (
            None
            if _ratio(row["gdp_yuan"], row["previous_gdp_yuan"]) is None
            else 100 * (row["gdp_yuan"] / row["previous_gdp_yuan"] - 1)
        ),
    ),
}


@dataclass(frozen=True)
class Member:
    city_code: str
    name: str
    cluster_id: str
    partial: bool
    boundary_wkt: str
    value: float | None


def map_year(rows: Sequence[dict], measure: Measure) -> int | None:
    """The latest year in which the most members have the measure (all of them where such a year exists)."""
    counts: dict[int, int] = {}
    for row in rows:
        if _present(measure.value(row)):
            counts[row["year"]] = counts.get(row["year"], 0) + 1
    if not counts:
        return None
    most = max(counts.values())
    return max(year for year, count in counts.items() if count == most)


def members_of(rows: Sequence[dict], measure: Measure, year: int | None) -> list[Member]:
    """One Member per city of ``rows`` (each row a member-year with its boundary), valued in ``year``."""
    members: dict[str, Member] = {}
    for row in rows:
        code = row["city_code"]
        value = measure.value(row) if row["year"] == year else None
        if code not in members or _present(value):
            members[code] = Member(
                code, row["city_name_zh"], row["cluster_id"], row["coverage"] == "part", row["boundary_wkt"], value
            )
    return sorted(members.values(), key=lambda m: m.city_code)


def map_svg(title: str, members: Sequence[Member], measure: Measure, clusters: dict[str, tuple[str, str]]) -> str:
    """The map as an SVG element WIDTH wide and at most HEIGHT high, titled ``title``."""
    parts, height = map_parts(members, measure, clusters)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{html.escape(title)}">{"".join(parts)}</svg>'
    )


def map_parts(
    members: Sequence[Member], measure: Measure, clusters: dict[str, tuple[str, str]]
) -> tuple[list[str], int]:
    """The SVG elements of the members as paths in a common projection, with each cluster (id -> name,
    colour) outlined and a legend, and the height they take (at most HEIGHT; WIDTH wide)."""
    if not members:
        return ['<text x="20" y="40" class="legend">no boundary to draw</text>'], 60
    to_plane = pyproj.Transformer.from_crs("EPSG:4326", PROJECTION, always_xy=True)
    shapes = shapely.transform(
        shapely.from_wkt([m.boundary_wkt for m in members]),
        lambda xy: np.column_stack(to_plane.transform(xy[:, 0], xy[:, 1])),
    )
    x0, y0, x1, y1 = shapely.total_bounds(shapes)
    scale = min((WIDTH - LEGEND_WIDTH - 2 * PAD) / (x1 - x0), (HEIGHT - 2 * PAD) / (y1 - y0))
    # about one pixel: finer detail cannot be seen and would only make the page heavier
    shapes = shapely.simplify(shapes, 1 / scale, preserve_topology=True)
    height = max(round((y1 - y0) * scale) + 2 * PAD, 240)  # room for the legend

    def path(shape) -> str:
        return "".join(_ring(ring, x0, y1, scale) for ring in _rings(shape))

    bounds = _class_bounds([m.value for m in members if _present(m.value)])
    parts = []
    for member, shape in zip(members, shapes, strict=True):
        colour = _class_colour(member.value, bounds)
        label = "no figure" if not _present(member.value) else f"{measure.text(member.value)} {measure.unit}"
        part = " (partial member: counted whole)" if member.partial else ""
        outline = 'stroke-width="1.2" stroke-dasharray="3 2"' if member.partial else 'stroke-width="0.4"'
        value = repr(member.value) if _present(member.value) else ""
        parts.append(
            f'<path class="mark city" d="{path(shape)}" fill="{colour}" fill-rule="evenodd" stroke="#555" {outline} '
            f'data-series="{member.cluster_id}" data-city-code="{member.city_code}" '
            f'data-value="{value}" data-partial="{str(member.partial).lower()}">'
            f"<title>{html.escape(f'{member.name} ({member.city_code}): {label}{part}')}</title></path>"
        )
    for cluster_id in sorted({m.cluster_id for m in members}):
        outline = shapely.union_all([s for m, s in zip(members, shapes, strict=True) if m.cluster_id == cluster_id])
        parts.append(
            f'<path class="cluster-outline" d="{path(outline)}" fill="none" stroke="{clusters[cluster_id][1]}" '
            f'stroke-width="2" data-series="{cluster_id}"/>'
        )
    parts.extend(_legend(bounds, measure, [clusters[c] for c in sorted({m.cluster_id for m in members})]))
    return parts, height


def _rings(shape) -> list:
    polygons = shapely.get_parts(shape)
    return [ring for polygon in polygons for ring in (polygon.exterior, *polygon.interiors)]


def _ring(ring, x0: float, y1: float, scale: float) -> str:
    xy = np.asarray(ring.coords)
    points = " ".join(f"{(x - x0) * scale + PAD:.1f},{(y1 - y) * scale + PAD:.1f}" for x, y in xy)
    return f"M{points}Z"


def _class_bounds(values: list[float]) -> list[float]:
    """Quintile bounds of ``values`` (fewer classes when values repeat)."""
    if not values:
        return []
    return sorted(set(np.quantile(values, [i / len(CLASS_COLOURS) for i in range(1, len(CLASS_COLOURS))]).tolist()))


def _class_colour(value: float | None, bounds: list[float]) -> str:
    if not _present(value):
        return NO_VALUE_COLOUR
    return CLASS_COLOURS[sum(value > bound for bound in bounds)]


def _legend(bounds: list[float], measure: Measure, clusters: list[tuple[str, str]]) -> list[str]:
    x, y = WIDTH - LEGEND_WIDTH + 10, PAD + 10
    parts = [f'<text x="{x}" y="{y}" class="legend">{html.escape(measure.unit)}</text>']
    edges = [None, *bounds, None]
    for index in range(len(bounds) + 1):
        low, high = edges[index], edges[index + 1]
        text = (
            f"≤ {measure.text(high)}"
            if low is None
            else f"> {measure.text(low)}"
            if high is None
            else f"{measure.text(low)} – {measure.text(high)}"
        )
        y += 18
        parts.append(
            f'<g class="key"><rect x="{x}" y="{y - 10}" width="14" height="12" fill="{CLASS_COLOURS[index]}" '
            f'stroke="#999"/><text x="{x + 20}" y="{y}" class="legend">{html.escape(text)}</text></g>'
        )
    y += 18
    parts.append(
        f'<g class="key"><rect x="{x}" y="{y - 10}" width="14" height="12" fill="{NO_VALUE_COLOUR}" stroke="#999"/>'
        f'<text x="{x + 20}" y="{y}" class="legend">no figure</text></g>'
    )
    y += 24
    parts.append(
        f'<g class="key"><rect x="{x}" y="{y - 10}" width="14" height="12" fill="white" stroke="#555" '
        f'stroke-width="1.2" stroke-dasharray="3 2"/>'
        f'<text x="{x + 20}" y="{y}" class="legend">partial member</text></g>'
    )
    for name, colour in clusters:
        y += 18
        parts.append(
            f'<g class="key"><line x1="{x}" y1="{y - 4}" x2="{x + 14}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="2"/><text x="{x + 20}" y="{y}" class="legend">{html.escape(name)}</text></g>'
        )
    return parts


def _present(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
