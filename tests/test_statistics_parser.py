"""The table parser: layouts, encodings, units, and every way a file can be bad."""

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook

from orchestration.raw_files.decoding import RawFile
from orchestration.statistics.reader import parse_statistics_file
from orchestration.statistics.units import ValueProblem
from tests.conftest import CATALOGUE


def parse(name: str, content: str | bytes, encoding: str = "utf-8"):
    data = content if isinstance(content, bytes) else content.encode(encoding)
    return parse_statistics_file(RawFile(Path(name), data), CATALOGUE)


def figures(parsed) -> dict[tuple, float]:
    return {(o["region_code"] or o["region_name"], o["year"], o["indicator"]): o["value"] for o in parsed.observations}


def test_long_table_with_english_headers_converts_to_base_units_exactly():
    parsed = parse(
        "long.csv",
        "admin_code,region_name,year,indicator,value,unit,source\n"
        "310000,上海市,2017,gdp,30133.86,亿元,上海市2017年国民经济和社会发展统计公报\n"
        "310000,上海市,2017,population_year_end,2418.33,万人,same\n"
        "310000,上海市,2017,gdp_growth_real,6.9,%,same\n",
    )
    assert parsed.layout == "long" and not parsed.quarantine
    assert figures(parsed) == {
        ("310000", 2017, "gdp"): 3013386000000.0,
        ("310000", 2017, "population_year_end"): 24183300.0,
        ("310000", 2017, "gdp_growth_real"): 6.9,
    }
    first = parsed.observations[0]
    assert (first["original_value"], first["original_unit"], first["unit"]) == ("30133.86", "亿元", "yuan")
    assert first["publication"] == "上海市2017年国民经济和社会发展统计公报"
    assert first["source_row"] == 2


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("utf-16", "utf-16")],
)
def test_wide_year_columns_with_chinese_headers_in_any_encoding(encoding, detected):
    parsed = parse(
        "wide.csv",
        "城市,省份,指标,单位,2016年,2017年\n南京市,江苏省,地区生产总值,万元,105030200,\n",
        encoding=encoding,
    )
    assert parsed.layout == "wide_years"
    assert parsed.encoding == detected  # GB18030 is the superset GBK files are read with
    assert figures(parsed) == {("南京市", 2016, "gdp"): 1050302000000.0}
    assert parsed.empty_cells == 1


def test_indicator_columns_carry_their_unit_in_the_header():
    parsed = parse("cols.csv", "代码,年份,GDP（万亿元）,常住人口(人)\n310000,2020,3.870058,24870895\n")
    assert parsed.layout == "wide_indicators"
    assert figures(parsed) == {
        ("310000", 2020, "gdp"): 3870058000000.0,
        ("310000", 2020, "population_year_end"): 24870895.0,
    }


def test_census_style_columns_become_census_population_and_other_columns_are_listed():
    parsed = parse(
        "census.csv",
        '"city","city_code","popu_2020","popu_urban_2020","popu_2010","coord"\n'
        '"上海市","310100","24870895","22209380","23019196","POLYGON((121 31,122 31,122 32,121 31))"\n',
    )
    assert figures(parsed) == {
        ("310100", 2020, "population_census"): 24870895.0,
        ("310100", 2010, "population_census"): 23019196.0,
    }
    assert parsed.ignored_columns == ["popu_urban_2020"]
    assert parsed.boundary_table.to_pylist() == [
        {
            "source_row": 2,
            "region_code": "310100",
            "region_name": "上海市",
            "boundary_wkt": "POLYGON((121 31,122 31,122 32,121 31))",
        }
    ]


def test_a_boundary_that_is_no_polygon_is_quarantined_and_the_rows_figures_kept():
    parsed = parse(
        "census.csv",
        "city,city_code,popu_2020,coord\n"
        '上海市,310100,24870895,"POLYGON((121 31,122 31"\n'  # cut off
        "南京市,320100,9314685,POINT (118.8 32.1)\n"
        "杭州市,330100,11936010,\n"  # none given: nothing to keep, nothing wrong
        '苏州市,320500,12748262,"MULTIPOLYGON(((120 31,121 31,121 32,120 31)))"\n',
    )
    assert len(parsed.observations) == 4
    assert [(b["source_row"], b["region_code"]) for b in parsed.boundary_table.to_pylist()] == [(5, "320500")]
    assert [(q["source_row"], q["column_name"], q["raw_value"]) for q in parsed.quarantine] == [
        (2, "coord", "POLYGON((121 31,122 31"),
        (3, "coord", "POINT (118.8 32.1)"),
    ]
    assert all("boundary is no WKT polygon" in q["reason"] for q in parsed.quarantine)


def test_xlsx_workbook_is_read_like_a_csv():
    book = Workbook()
    sheet = book.active
    sheet.append(["region_code", "year", "indicator", "value", "unit"])
    sheet.append([420100, 2020, "gdp", 15616.06, "亿元"])
    buffer = BytesIO()
    book.save(buffer)
    parsed = parse("book.xlsx", buffer.getvalue())
    assert parsed.encoding == "xlsx"
    assert figures(parsed) == {("420100", 2020, "gdp"): 1561606000000.0}


@pytest.mark.parametrize(
    ("unit", "indicator", "expected"),
    [
        ("元", "gdp", 5.0),
        ("万元", "gdp", 5e4),
        ("亿元", "gdp", 5e8),
        ("万亿元", "gdp", 5e12),
        ("人", "population_year_end", 5.0),
        ("万人", "population_year_end", 5e4),
        ("%", "gdp_growth_real", 5.0),
    ],
)
def test_every_unit_scales_to_its_base(unit, indicator, expected):
    assert CATALOGUE.to_base_unit(Decimal(5), unit, indicator)[0] == expected


def test_a_unit_that_does_not_fit_the_indicator_is_refused():
    with pytest.raises(ValueProblem, match="measures persons"):
        CATALOGUE.to_base_unit(Decimal(1), "万人", "gdp")


def test_bad_rows_are_quarantined_with_row_and_reason_and_good_rows_stay():
    parsed = parse(
        "mixed.csv",
        "admin_code,year,indicator,value,unit\n"
        "320100,2016,gdp,10503.02,亿元\n"
        "320200,2016,gdp,9210.02,亿元,extra,fields\n"
        "320400,2016,gdp,5773.9,亿美元\n"
        "320500,2016,gdp,lots,亿元\n"
        "320600,20x6,gdp,6768.2,亿元\n"
        "32x,2016,gdp,1,亿元\n"
        "320900,2016,tourist_arrivals,1,亿元\n",
    )
    assert figures(parsed) == {("320100", 2016, "gdp"): 1050302000000.0}
    reasons = {q["source_row"]: q["reason"] for q in parsed.quarantine}
    assert reasons[3] == "row has 7 fields, header has 5"
    assert reasons[4].startswith("unknown unit '亿美元'")
    assert reasons[5] == "not a number: 'lots'"
    assert reasons[6].startswith("not a year")
    assert reasons[7].startswith("not an administrative code")
    assert reasons[8] == "unknown indicator 'tourist_arrivals'; closest known: retail_sales (retail_sales)"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"admin_code,year\n\xff\xfe\xfa\x80\x81\n", "undecodable bytes"),
        (b"\x00\x01\x02binary\x00", "binary content"),
        (b"foo,bar\n1,2\n", "no region column"),
        ("城市,备注\n南京,x\n".encode(), "unrecognised layout"),
    ],
)
def test_an_unreadable_file_becomes_one_file_level_quarantine_row(content, reason):
    parsed = parse("bad.csv", content)
    assert parsed.observations == []
    assert len(parsed.quarantine) == 1 and parsed.quarantine[0]["source_row"] is None
    assert reason in parsed.quarantine[0]["reason"] and reason in parsed.error


def test_unsupported_format_is_quarantined():
    parsed = parse("table.json", "{}")
    assert "unsupported table format '.json'" in parsed.error


def test_whitespace_is_what_str_strip_removes():
    import sys

    from orchestration.statistics.schema import WHITESPACE

    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_plain_decimals_are_scaled_in_sql_exactly_as_decimal_does():
    import random

    rng = random.Random(8)
    units = {"元": 0, "万元": 4, "亿元": 8, "万亿元": 12}
    rows, expected = [], []
    for i in range(3000):
        digits = rng.randint(1, 15)
        scale = rng.randint(0, digits - 1) if rng.random() < 0.7 else 0
        number = str(rng.randrange(10 ** (digits - 1), 10**digits))
        text = ("-" if rng.random() < 0.2 else "") + (number[:-scale] + "." + number[-scale:] if scale else number)
        unit = rng.choice(list(units))
        rows.append(f"310000,{1990 + i % 30},gdp,{text},{unit}")
        expected.append(float(Decimal(text) * Decimal(10) ** units[unit]))
    parsed = parse("plain.csv", "admin_code,year,indicator,value,unit\n" + "\n".join(rows) + "\n")
    assert [o["value"] for o in parsed.observations] == expected


def test_duckdb_reader_and_python_splitter_agree():
    """A plain CSV is read by DuckDB; a quote character sends it through Python's csv module."""
    body = (
        "admin_code,region_name,year,indicator,value,unit\n"
        "310000,上海市,2017,gdp,30133.86,亿元\n"
        ",,,,,\n"
        "\u3000,\u3000,,,,\n"
        "310000, 上海市 ,2017,gdp,１２３．４,亿元\n"
        "310000,上海市,2017,gdp,-,亿元\n"
        "310000,上海市,20x7,gdp,1,亿元\n"
        ",,2017,gdp,1,亿元\n"
    )
    plain = parse("plain.csv", body)
    quoted = parse("quoted.csv", body.replace("30133.86", '"30133.86"'))
    assert plain.observations == quoted.observations
    assert plain.quarantine == quoted.quarantine
    assert plain.empty_cells == quoted.empty_cells == 1
    assert [(o["source_row"], o["value"], o["region_name"]) for o in plain.observations] == [
        (2, 3013386000000.0, "上海市"),
        (5, 12340000000.0, "上海市"),
    ]
    assert [(q["source_row"], q["reason"][:14]) for q in plain.quarantine] == [
        (7, "not a year bet"),
        (8, "row names no r"),
    ]


@pytest.mark.parametrize("value", ["1e999999", "1e31", "-2E+40"])
def test_a_number_too_large_for_any_figure_is_quarantined_not_raised(value):
    parsed = parse(
        "huge.csv",
        f"admin_code,year,indicator,value,unit\n320100,2016,gdp,{value},亿元\n320200,2016,gdp,9210.02,亿元\n",
    )
    assert figures(parsed) == {("320200", 2016, "gdp"): 921002000000.0}
    reasons = {q["source_row"]: q["reason"] for q in parsed.quarantine}
    assert reasons == {2: f"not a plausible figure (over 10^30): {value!r}"}


def test_statistics_frames_are_written_as_the_files_were_parsed(tmp_path):
    """Dictionary-encoded frames of several files (one of them unreadable) become plain rows of the lake's
    table; a figure with no source names its file as the publication."""
    from datetime import UTC, datetime

    import duckdb

    from orchestration.lake.tables import write_table
    from orchestration.statistics.tables import OBSERVATION_COLUMNS, read_statistics

    tables = {
        "a.csv": "admin_code,region_name,year,indicator,value,unit,source\n"
        "310000,上海市,2017,gdp,30133.86,亿元,公报\n320100,,2017,gdp,1,亿元,\n",
        "b.csv": "城市,指标,单位,2016年,2017年\n南京市,地区生产总值,万元,105030200,x\n",
        "c.csv": "",
    }
    for name, text in tables.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    files = {str(tmp_path / name): rank for rank, name in enumerate(tables)}
    frames, hashes = read_statistics(files, datetime(2024, 1, 1, tzinfo=UTC), CATALOGUE)
    assert sorted(hashes) == sorted(files)
    with duckdb.connect() as conn:
        conn.register("_new", frames["observations"])
        assert write_table(conn, tmp_path / "lake", OBSERVATION_COLUMNS, "select * from _new") == 3
        rows = conn.execute(
            "select source_row, raw_root_rank, region_code, region_name, year, value, original_value, publication "
            f"from '{tmp_path}/lake/data.parquet' order by all"
        ).fetchall()
    assert rows == [
        (2, 0, "310000", "上海市", 2017, 3013386000000.0, "30133.86", "公报"),
        (2, 1, None, "南京市", 2016, 1050302000000.0, "105030200", "b.csv"),
        (3, 0, "320100", None, 2017, 100000000.0, "1", "a.csv"),
    ]
    assert [row["reason"] for row in frames["quarantine"].to_pylist()][-1] == "empty file"
