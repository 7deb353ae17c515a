"""Region boundaries: the WKT polygons of a table's boundary column (the census table's coord), kept per
region for the report's map; a boundary that is no polygon is quarantined."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from orchestration.statistics.schema import BOUNDARY_SCHEMA, WHITESPACE

MAX_QUOTED_WKT = 80  # characters of a boundary that is no polygon, quoted in its quarantine entry


def read_boundaries(
    wkt: pa.Array,
    header: str,
    row_ok: np.ndarray,
    region_of: np.ndarray,
    region: list[pa.Array],
    source_rows: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """The boundaries of the rows naming a usable region (BOUNDARY_SCHEMA), and the quarantine entries of
    those whose boundary is no WKT polygon (after the row's other cells)."""
    wkt = pc.utf8_trim(pc.fill_null(wkt, ""), WHITESPACE)
    rows = np.flatnonzero(row_ok & pc.not_equal(wkt, "").to_numpy(zero_copy_only=False))
    texts = wkt.take(rows)
    geometries = shapely.from_wkt(texts.to_numpy(zero_copy_only=False), on_invalid="ignore")
    polygonal = np.isin(shapely.get_type_id(geometries), (3, 6))  # Polygon, MultiPolygon; -1 when unreadable
    valid = polygonal & ~shapely.is_empty(geometries)
    good, bad = rows[valid], rows[~valid]
    boundaries = pa.table(
        [
            pa.array(source_rows[good].astype(np.int32)),
            region[0].take(region_of[good]),
            region[1].take(region_of[good]),
            texts.filter(pa.array(valid)),
        ],
        schema=BOUNDARY_SCHEMA,
    )
    problems = pa.table(
        {
            "source_row": pa.array(source_rows[bad].astype(np.int64)),
            "position": pa.array(np.full(len(bad), np.iinfo(np.int64).max)),
            "column_name": pa.array([header] * len(bad), pa.string()),
            "raw_value": pc.utf8_slice_codeunits(wkt.take(bad), 0, MAX_QUOTED_WKT),
            "reason": pa.array(
                ["boundary is no WKT polygon (expected POLYGON((lon lat, ...)) or MULTIPOLYGON)"] * len(bad),
                pa.string(),
            ),
        }
    )
    return boundaries, problems
