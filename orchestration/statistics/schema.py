"""What the statistics reader speaks in: the roles a column plays and their aliases (地区, region_name …),
the headers that name a year, the Arrow schemas of the figures, quarantine entries and boundaries a file
yields, and ``ParsedFile`` that holds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa

ROLE_ALIASES: dict[str, set[str]] = {
    "code": {
        "admin_code",
        "code",
        "region_code",
        "city_code",
        "行政区划代码",
        "区划代码",
        "代码",
        "城市代码",
    },
    "name": {
        "region_name",
        "city",
        "city_name",
        "name",
        "region",
        "城市",
        "地区",
        "城市名称",
        "地区名称",
        "名称",
        "城市名",
    },
    "province": {"province", "province_name", "省份", "省", "所属省份", "省级单位"},
    "year": {"year", "年份", "年度", "年"},
    "indicator": {"indicator", "指标", "指标名称"},
    "value": {"value", "数值", "值", "数据"},
    "unit": {"unit", "单位", "计量单位"},
    "source": {"source", "来源", "数据来源", "出处"},
    "verification": {"verification", "核实方式"},
    "verification_note": {"verification_note", "核实说明"},
    "vintage": {"vintage", "口径", "数据口径", "版本", "数据版本"},
    "published_on": {"published_on", "发布日期", "发布时间", "公布日期"},
    # a region's boundary as WKT (the census table's coord): kept per region for the report's map
    "boundary": {"boundary", "coord", "geometry", "geom", "wkt", "边界", "行政边界"},
}
ROLE_OF = {alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
YEAR_HEADER = re.compile(r"(\d{4})年?")
INDICATOR_YEAR_HEADER = re.compile(r"(.+?)_(\d{4})")


# What Python's str.strip() removes (the characters whose isspace() is true), for DuckDB's trim().
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A figure's region and context texts: indices into its file's regions and contexts (a dictionary in
# no order, possibly repeated, null where the text is).
CODED = pa.dictionary(pa.int32(), pa.string())
OBSERVATION_SCHEMA = pa.schema(
    [
        ("source_row", pa.int32()),
        ("region_code", CODED),
        ("region_name", CODED),
        ("province_name", CODED),
        ("publication", CODED),
        ("verification", CODED),
        ("verification_note", CODED),
        ("vintage", CODED),
        ("published_on", CODED),
        ("year", pa.int32()),
        ("indicator", CODED),
        ("value", pa.float64()),
        ("unit", CODED),
        ("original_value", pa.string()),
        ("original_unit", CODED),
    ]
)
# a row's region and provenance: read once per distinct combination
REGION_ROLES = ("code", "name", "province", "source", "verification", "verification_note", "vintage", "published_on")
FIGURE_ROLES = ("indicator", "unit", "year")
QUARANTINE_SCHEMA = pa.schema(
    [("source_row", pa.int64()), ("column_name", pa.string()), ("raw_value", pa.string()), ("reason", pa.string())]
)


BOUNDARY_SCHEMA = pa.schema(
    [
        ("source_row", pa.int32()),
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("boundary_wkt", pa.string()),
    ]
)


class FileProblem(ValueError):
    """The whole file is unusable; the message is the quarantine reason."""


@dataclass
class ParsedFile:
    """What one file yielded: observations, quarantine entries and a manifest row."""

    observation_table: pa.Table = field(default_factory=OBSERVATION_SCHEMA.empty_table)
    quarantine_table: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    boundary_table: pa.Table = field(default_factory=BOUNDARY_SCHEMA.empty_table)
    encoding: str | None = None
    layout: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    empty_cells: int = 0
    error: str | None = None
    # what lines above or below the table say (a portal export's 指标/单位 lines, a yearbook's title and
    # notes): the indicator and unit of its year columns, the vintage and publication date of its
    # figures (口径：, 发布日期：), and the lines themselves
    file_indicator: str | None = None
    file_unit: str | None = None
    file_vintage: str | None = None
    file_published_on: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def observations(self) -> list[dict]:
        return self.observation_table.to_pylist()

    @property
    def quarantine(self) -> list[dict]:
        return self.quarantine_table.to_pylist()


Ragged = list[tuple[int, str, str]]  # (source row, the row's cells joined by commas, reason)
