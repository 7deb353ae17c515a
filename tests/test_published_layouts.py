"""Tables as people publish them: a national data portal's CSV and XLSX exports, yearbook pages, 指标 ×
年份 headers and wide panels whose headers carry units and line breaks, each read to base units with the
row it came from. The figures here are shapes, not statistics: none of them reaches the warehouse."""

from io import BytesIO
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from openpyxl import Workbook

from orchestration.config import SEEDS_DIR
from orchestration.defs import ingest_statistics
from orchestration.raw_files.decoding import RawFile
from orchestration.statistics.reader import parse_statistics_file
from orchestration.statistics.units import read_catalogue
from tests.conftest import CATALOGUE, files_read, run_refresh

PORTAL_LINES = [
    ["数据库：城市年度数据"],
    ["指标：地区生产总值(亿元)"],
    ["时间：最近3年"],
    ["地区", "2020年", "2019年", "2018年"],
    ["上海市", "1234.56", "1100.5", "…"],
    ["武汉市", "987.6", "-", ""],
    ["注：本表按当年价格计算。"],
    ["数据来源：国家统计局"],
]


def parse(name: str, data: bytes):
    return parse_statistics_file(RawFile(Path(name), data), CATALOGUE)


def xlsx(rows: list[list], merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_back(parsed) -> list[tuple]:
    return sorted(
        (o["region_name"], o["year"], o["indicator"], o["value"], o["unit"], o["original_value"], o["source_row"])
        for o in parsed.observations
    )


PORTAL_FIGURES = [
    ("上海市", 2019, "gdp", 110050000000.0, "yuan", "1100.5", 5),
    ("上海市", 2020, "gdp", 123456000000.0, "yuan", "1234.56", 5),
    ("武汉市", 2020, "gdp", 98760000000.0, "yuan", "987.6", 6),
]


def test_a_portal_csv_export_in_gbk_reads_its_indicator_and_unit_from_the_lines_above():
    data = "\n".join(",".join(row) for row in PORTAL_LINES).encode("gbk")
    parsed = parse("portal.csv", data)
    assert (parsed.encoding, parsed.layout, parsed.error) == ("gb18030", "wide_years", None)
    assert read_back(parsed) == PORTAL_FIGURES
    assert parsed.quarantine == [] and parsed.empty_cells == 3  # …, - and blank are missing, not errors
    assert parsed.notes == [
        "数据库：城市年度数据",
        "指标：地区生产总值(亿元)",
        "时间：最近3年",
        "注：本表按当年价格计算。",
        "数据来源：国家统计局",
    ]


def test_a_portal_xlsx_export_reads_as_its_csv_does():
    parsed = parse("portal.xlsx", xlsx(PORTAL_LINES))
    assert read_back(parsed) == PORTAL_FIGURES and parsed.quarantine == []


def test_a_yearbook_page_with_a_merged_title_a_unit_row_a_blank_row_and_a_source_line():
    rows = [
        ["2-5 各市年末常住人口", None, None],
        ["单位：万人", None, None],
        ["地区", 2019, 2020],
        ["南京市", 850.0, 931.97],
        [None, None, None],
        ["资料来源：某省统计年鉴", None, None],
    ]
    parsed = parse("yearbook.xlsx", xlsx(rows, merge="A1:C1"))
    assert read_back(parsed) == [
        ("南京市", 2019, "population_year_end", 8500000.0, "persons", "850", 4),
        ("南京市", 2020, "population_year_end", 9319700.0, "persons", "931.97", 4),
    ]
    assert parsed.quarantine == [] and parsed.notes[-1] == "资料来源：某省统计年鉴"


def test_an_indicator_by_year_header_in_two_rows():
    data = (
        "地区,地区生产总值（亿元）,,常住人口（万人）,\n,2019,2020,2019,2020\n杭州市,15.5,16.25,1000,1200\n"
    ).encode()
    parsed = parse("two_rows.csv", data)
    assert read_back(parsed) == [
        ("杭州市", 2019, "gdp", 1550000000.0, "yuan", "15.5", 3),
        ("杭州市", 2019, "population_year_end", 10000000.0, "persons", "1000", 3),
        ("杭州市", 2020, "gdp", 1625000000.0, "yuan", "16.25", 3),
        ("杭州市", 2020, "population_year_end", 12000000.0, "persons", "1200", 3),
    ]


def test_a_wide_panel_whose_headers_carry_units_and_line_breaks():
    data = (
        '城市,年份,地区生产总值(万元),"常住人口\n(万人)",地区生产总值（百万元）\n成都市,2020,1234567,2094.7,12345.6\n'
    )
    parsed = parse("panel.csv", data.encode())
    assert parsed.layout == "wide_indicators" and parsed.quarantine == []
    assert read_back(parsed) == [
        ("成都市", 2020, "gdp", 12345600000.0, "yuan", "12345.6", 2),
        ("成都市", 2020, "gdp", 12345670000.0, "yuan", "1234567", 2),
        ("成都市", 2020, "population_year_end", 20947000.0, "persons", "2094.7", 2),
    ]


def test_a_table_it_cannot_place_says_what_it_found_and_what_it_expected():
    rows = [["各市主要指标"], ["单位：亿元"], ["项目", "2020年"], ["地区生产总值", "1"]]
    parsed = parse("no_region.csv", "\n".join(",".join(r) for r in rows).encode())
    assert parsed.error == (
        "no region column (code or name) among headers ['各市主要指标'], nor in a row of the first 20: "
        "expected a header such as 地区, 城市, 行政区划代码, region_name or admin_code"
    )


def test_an_unknown_indicator_is_quarantined_naming_the_closest_known_ones():
    data = "地区,指标,单位,2020年\n上海市,常住人口数,万人,1\n上海市,旅游总收入,亿元,2\n".encode()
    reasons = [q["reason"] for q in parse("unknown.csv", data).quarantine]
    assert reasons[0] == (
        "unknown indicator '常住人口数'; closest known: 常住人口 (population_year_end), 年末常住人口数 "
        "(population_year_end), 普查常住人口 (population_census)"
    )
    assert reasons[1].startswith("unknown indicator '旅游总收入'; ")


def test_indicators_of_the_catalogue_beyond_gdp_and_population_read_in_their_base_units():
    header = (
        "城市,年份,社会消费品零售总额(亿元),行政区域土地面积\n(平方公里),户籍人口数\n(万人),进出口总额（百万人民币）"
    )
    parsed = parse("panel_more.csv", f"{header.replace(chr(10), '')}\n长沙市,2020,12.5,11819,700.5,2500\n".encode())
    assert parsed.quarantine == []
    assert {(o["indicator"], o["value"], o["unit"]) for o in parsed.observations} == {
        ("retail_sales", 1250000000.0, "yuan"),
        ("land_area", 11819.0, "km2"),
        ("population_registered", 7005000.0, "persons"),
        ("trade_total", 2500000000.0, "yuan"),
    }


def test_a_catalogue_row_that_cannot_be_right_is_a_clear_error(tmp_path):
    head = "indicator,name_zh,aliases,base_unit,default_unit,additive,description\n"
    seed = tmp_path / "indicators.csv"
    seed.write_text(head + "gdp,地区生产总值,gdp,dollars,,true,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="indicator gdp: base unit 'dollars' is none of"):
        read_catalogue(seed)
    seed.write_text(head + "gdp,地区生产总值,生产总值,yuan,,true,x\nvalue_added,增加值,生产总值,yuan,,true,y\n")
    with pytest.raises(ValueError, match="'生产总值' names both gdp and value_added"):
        read_catalogue(seed)


def test_a_new_indicator_in_the_catalogue_reads_the_files_again_that_named_it(tmp_path, make_root, monkeypatch):
    root = make_root({"tourism.csv": "地区,指标,单位,2020年\n上海市,旅游总收入,亿元,12.5\n"})
    statistics = dg.AssetSelection.assets(*ingest_statistics.statistics.keys)

    def figures(refresh) -> list[tuple]:
        lake = refresh.settings.lake_dir / "statistics" / "statistics_observations"
        with duckdb.connect() as conn:
            return conn.execute(
                f"select indicator, value from '{lake}/*.parquet' where indicator = 'tourism_revenue'"
            ).fetchall()

    before = run_refresh(tmp_path / "wh", root, selection=statistics)
    assert before.result.success and figures(before) == []
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for seed in SEEDS_DIR.glob("*.csv"):
        (seeds / seed.name).write_bytes(seed.read_bytes())
    with open(seeds / "indicators.csv", "a", encoding="utf-8") as handle:
        handle.write("tourism_revenue,旅游总收入,旅游总收入,yuan,,true,Total tourism revenue\n")
    monkeypatch.setattr(ingest_statistics, "SEEDS_DIR", seeds)
    after = run_refresh(tmp_path / "wh", root, selection=statistics)
    assert after.result.success and figures(after) == [("tourism_revenue", 1250000000.0)]
    assert files_read(after)["raw/statistics_observations"] == 1  # the file did not change; the catalogue did
