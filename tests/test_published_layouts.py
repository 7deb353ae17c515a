"""Tables as people publish them: a national data portal's CSV and XLSX exports, yearbook pages, 指标 ×
年份 headers and wide panels whose headers carry units and line breaks, each read to base units with the
row it came from. The figures here are shapes, not statistics: none of them reaches the warehouse."""

from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

from orchestration.raw_files.decoding import RawFile
from orchestration.statistics.reader import parse_statistics_file

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
    return parse_statistics_file(RawFile(Path(name), data))


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
    data = "地区,指标,单位,2020年\n上海市,常住人口数,万人,1\n上海市,社会消费品零售总额,亿元,2\n".encode()
    reasons = [q["reason"] for q in parse("unknown.csv", data).quarantine]
    assert reasons == [
        "unknown indicator '常住人口数'; closest known: 常住人口 (population_year_end), 年末常住人口数 "
        "(population_year_end), 年末常住人口 (population_year_end)",
        "unknown indicator '社会消费品零售总额'; known: gdp, gdp_growth_real, population_year_end, population_census",
    ]
