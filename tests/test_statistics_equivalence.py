"""The statistics reader on the quirks of hand-made tables, written out, and properties of any such table.

Each literal test below is one kind of cell or row a published table has (a 4-digit code, 2017年, １２３．４,
a row shorter than its header, a GBK file …) with the figures and quarantine entries it gives. The
properties need nothing but the reader itself: every data cell of a generated table ends up exactly
once (a figure, a quarantine entry or an empty cell), and the reader's two splitters (Arrow and Python's
csv module), its block-by-block conversion and every encoding and line ending give the same figures.
"""

from __future__ import annotations

import codecs
import struct
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.raw_files.decoding import RawFile
from orchestration.statistics import conversion
from orchestration.statistics.loading import _utf8
from orchestration.statistics.reader import parse_statistics_file
from tests.conftest import CATALOGUE

EXAMPLES = settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
EMPTY = "empty"  # a value cell that is no figure and no problem: counted in empty_cells


def parse(content: str | bytes, name: str = "t.csv"):
    data = content if isinstance(content, bytes) else content.encode()
    return parse_statistics_file(RawFile(Path(name), data), CATALOGUE)


def figures(parsed) -> list[tuple]:
    """(row, code, name, year, indicator, value, unit, original value, original unit) of every figure."""
    keys = ("source_row", "region_code", "region_name", "year", "indicator", "value", "unit")
    return [tuple(o[k] for k in keys) + (o["original_value"], o["original_unit"]) for o in parsed.observations]


def problems(parsed) -> list[tuple]:
    return [(q["source_row"], q["column_name"], q["raw_value"], q["reason"]) for q in parsed.quarantine]


def bits(value: float) -> bytes:
    """A float as its bytes: -0.0 and 0.0, or two floats one ulp apart, differ."""
    return struct.pack("<d", value)


def summary(parsed) -> dict:
    """Everything a file yields but its encoding, floats as their bytes."""
    return {
        "observations": [{**o, "value": bits(o["value"])} for o in parsed.observations],
        "quarantine": parsed.quarantine,
        "empty_cells": parsed.empty_cells,
        "layout": parsed.layout,
        "ignored_columns": parsed.ignored_columns,
        "error": parsed.error,
    }


LONG = "admin_code,region_name,year,indicator,value,unit\n"


# ---------------------------------------------------------------------------------------------
# Region, year, indicator and unit cells


def test_region_codes_are_padded_cut_stripped_or_refused():
    codes = ["310000", "3201", "32", "320100000", "320100000000", "32x", "", " 330100 ", "３２０１００", "3201.0"]
    parsed = parse(LONG + "".join(f"{code},南京市,2017,gdp,1,亿元\n" for code in codes))
    assert [(row, code) for row, code, *_ in figures(parsed)] == [
        (2, "310000"),
        (3, "320100"),  # 4 digits: padded
        (4, "320000"),  # 2 digits: padded
        (5, "320100"),  # 9 digits: cut to 6
        (6, "320100"),  # 12 digits: cut to 6
        (8, None),  # no code: the name names the region
        (9, "330100"),
        (10, "320100"),  # full-width digits
        (11, "320100"),  # a spreadsheet's 3201.0
    ]
    assert problems(parsed) == [(7, "code", "32x", "not an administrative code: '32x'")]


def test_region_names_are_stripped_and_a_row_naming_no_region_is_quarantined_whole():
    names = ["上海市", " 杭州市 ", "", "\u3000"]
    parsed = parse(LONG + "".join(f"310000,{name},2017,gdp,1,亿元\n" for name in names) + ",,2017,gdp,1,亿元\n")
    assert [(row, code, name) for row, code, name, *_ in figures(parsed)] == [
        (2, "310000", "上海市"),
        (3, "310000", "杭州市"),
        (4, "310000", None),
        (5, "310000", None),  # an ideographic space is no name
    ]
    assert problems(parsed) == [(6, "name", "", "row names no region (code and name empty)")]


def test_indicator_spellings_and_units():
    rows = [
        ("gdp", "亿元"),
        ("GDP", "万元"),
        ("地区生产总值", "元"),
        ("gdp", "万亿元"),
        ("gdp", " 亿元 "),
        ("常住人口", "万人"),
        ("gdp_growth_real", "%"),
        ("population_census", ""),  # the census column's default unit: persons
        ("tourist_arrivals", "亿元"),
        ("gdp", "万人"),
        ("gdp", "亿美元"),
        ("gdp", ""),
        ("常住人口", ""),
    ]
    parsed = parse("admin_code,year,indicator,value,unit\n" + "".join(f"310000,2017,{i},2,{u}\n" for i, u in rows))
    assert [
        (row, indicator, value, unit, original_unit)
        for row, _, _, _, indicator, value, unit, _, original_unit in figures(parsed)
    ] == [
        (2, "gdp", 200000000.0, "yuan", "亿元"),
        (3, "gdp", 20000.0, "yuan", "万元"),
        (4, "gdp", 2.0, "yuan", "元"),
        (5, "gdp", 2000000000000.0, "yuan", "万亿元"),
        (6, "gdp", 200000000.0, "yuan", "亿元"),
        (7, "population_year_end", 20000.0, "persons", "万人"),
        (8, "gdp_growth_real", 2.0, "percent", "%"),
        (9, "population_census", 2.0, "persons", "人"),
    ]
    assert {(column, value) for _, column, value, _ in problems(parsed)} == {("value", "2")}
    reasons = {row: reason for row, _, _, reason in problems(parsed)}
    assert reasons.pop(11) == "unit '万人' measures persons, but indicator gdp is in yuan"
    assert reasons.pop(12).startswith("unknown unit '亿美元'; known: %, 100millionyuan, 10kpersons")
    assert reasons == {
        10: "unknown indicator 'tourist_arrivals'; closest known: retail_sales (retail_sales)",
        13: "no unit for indicator gdp",
        14: "no unit for indicator population_year_end",
    }


def test_an_empty_indicator_is_unknown_and_its_reason_lists_the_known_ones():
    parsed = parse("admin_code,year,indicator,value,unit\n310000,2017,,1,亿元\n")
    [(row, column, value, reason)] = problems(parsed)
    assert (row, column, value) == (2, "value", "1")
    assert reason.startswith("unknown indicator ''; known: gdp, gdp_growth_real, population_year_end, ")


def test_year_cells():
    years = ["2016", "2017年", "2020.0", " 2019 ", "２０１８", "1949", "2100", "20x6", "1800", "2101", ""]
    parsed = parse("admin_code,year,indicator,value,unit\n" + "".join(f"310000,{y},gdp,1,亿元\n" for y in years))
    assert [(row, year) for row, _, _, year, *_ in figures(parsed)] == [
        (2, 2016),
        (3, 2017),
        (4, 2020),
        (5, 2019),
        (6, 2018),
        (7, 1949),
        (8, 2100),
    ]
    assert problems(parsed) == [
        (9, "value", "1", "not a year between 1949 and 2100: '20x6'"),
        (10, "value", "1", "not a year between 1949 and 2100: '1800'"),
        (11, "value", "1", "not a year between 1949 and 2100: '2101'"),
        (12, "value", "1", "not a year between 1949 and 2100: ''"),
    ]


def test_source_vintage_and_publication_date_cells():
    rows = [
        ("公报", "", ""),
        ("", "first_release", ""),
        ("年鉴", "初步核算", "2018-02-26"),
        ("", " 最终核实 ", "2019年3月1日"),
        ("", "revised", ""),
        ("", "estimate", ""),
        ("", "", "2018-02-30"),
        ("", "", "soon"),
    ]
    parsed = parse(
        "admin_code,region_name,year,indicator,value,unit,source,vintage,published_on\n"
        + "".join(f"310000,上海市,2017,gdp,1,亿元,{s},{v},{d}\n" for s, v, d in rows)
    )
    assert [(o["source_row"], o["publication"], o["vintage"], o["published_on"]) for o in parsed.observations] == [
        (2, "公报", None, None),
        (3, None, "first_release", None),
        (4, "年鉴", "first_release", "2018-02-26"),
        (5, None, "final", "2019-03-01"),
        (6, None, "revised", None),
    ]
    assert problems(parsed) == [
        (
            7,
            "vintage",
            "estimate",
            "unknown vintage 'estimate'; expected one of first_release, final, revised, census, unstated "
            "(or 初步核算, 最终核实 …)",
        ),
        (8, "published_on", "2018-02-30", "not a publication date (expected YYYY-MM-DD): '2018-02-30'"),
        (9, "published_on", "soon", "not a publication date (expected YYYY-MM-DD): 'soon'"),
    ]


# ---------------------------------------------------------------------------------------------
# Value cells: in 亿元, so each figure is the decimal value times 10^8, rounded once

VALUE_CELLS = [
    ("30133.86", 3013386000000.0),
    ("-12.5", -1250000000.0),
    ("-0", -0.0),  # the sign of a negative zero is kept
    ("-0.0", -0.0),
    ("0.000", 0.0),
    ("7", 700000000.0),
    ("123456789012345", 1.23456789012345e22),  # 15 digits: one exact multiplication
    ("1234567890123456", 1.234567890123456e23),  # 16 digits: through Decimal
    ("12345678.1234567", 1234567812345670.0),
    ("900719925474099.3", 9.007199254740994e22),  # 2^53 + 1 over ten: rounded once, not twice
    ("0.9007199254740993", 90071992.54740994),
    ("-90071992547409.93", -9.007199254740993e21),
    ("0.123456789012345", 12345678.9012345),
    ("１２３．４", 12340000000.0),
    (" 42 ", 4200000000.0),
    ("1e5", 10000000000000.0),
    (".5", 50000000.0),
    ("5.", 500000000.0),
    ("+3", 300000000.0),
    ("", EMPTY),
    ("-", EMPTY),
    ("—", EMPTY),
    ("–", EMPTY),
    ("…", EMPTY),
    ("...", EMPTY),
    ("N/A", EMPTY),
    ("NA", EMPTY),
    ("null", EMPTY),
    ("None", EMPTY),
    ("\u3000", EMPTY),
    (" - ", EMPTY),
    ("lots", "not a number: 'lots'"),
    ("12.3.4", "not a number: '12.3.4'"),
    ("约12.5", "not a number: '约12.5'"),
    ("inf", "not a finite number: 'inf'"),
    ("nan", "not a finite number: 'nan'"),
]


def test_value_cells_become_exact_figures_empty_cells_or_problems():
    parsed = parse(LONG + "".join(f"310000,上海市,2017,gdp,{cell},亿元\n" for cell, _ in VALUE_CELLS))
    got = {o["source_row"]: (bits(o["value"]), o["original_value"]) for o in parsed.observations}
    got |= {row: reason for row, _, _, reason in problems(parsed)}
    expected = {}
    for row, (cell, outcome) in enumerate(VALUE_CELLS, start=2):
        if isinstance(outcome, float):
            expected[row] = (bits(outcome), cell.strip())  # the original value is the cell stripped
        elif outcome != EMPTY:
            expected[row] = outcome
    assert got == expected
    assert parsed.empty_cells == sum(outcome == EMPTY for _, outcome in VALUE_CELLS) == 12


def test_a_thousands_separator_splits_a_plain_cell_and_is_read_in_a_quoted_one():
    parsed = parse(LONG + '310000,上海市,2017,gdp,1,234,亿元\n310000,上海市,2017,gdp,"30,133.86",亿元\n')
    assert problems(parsed) == [(2, None, "310000,上海市,2017,gdp,1,234,亿元", "row has 7 fields, header has 6")]
    assert figures(parsed) == [(3, "310000", "上海市", 2017, "gdp", 3013386000000.0, "yuan", "30,133.86", "亿元")]


# ---------------------------------------------------------------------------------------------
# Layouts


def test_wide_year_columns_with_a_notes_column_ignored():
    parsed = parse(
        "region_code,region_name,indicator,unit,2016年,2017,notes,2018年\n"
        "320100,南京市,gdp,亿元,10503.02,11715.1,x,12820.4\n"
        "320200,无锡市,常住人口,万人,,-,备注,655.3\n"
        "320500,苏州市,gdp,,1,2,x,3\n"
        "32x,常州市,gdp,亿元,1,2,x,3\n"
        "320400,常州市,tourist_arrivals,亿元,1,lots,x,\n"
    )
    assert (parsed.layout, parsed.ignored_columns, parsed.empty_cells) == ("wide_years", ["notes"], 3)
    assert figures(parsed) == [
        (2, "320100", "南京市", 2016, "gdp", 1050302000000.0, "yuan", "10503.02", "亿元"),
        (2, "320100", "南京市", 2017, "gdp", 1171510000000.0, "yuan", "11715.1", "亿元"),
        (2, "320100", "南京市", 2018, "gdp", 1282040000000.0, "yuan", "12820.4", "亿元"),
        (3, "320200", "无锡市", 2018, "population_year_end", 6553000.0, "persons", "655.3", "万人"),
    ]
    unknown = "unknown indicator 'tourist_arrivals'; closest known: retail_sales (retail_sales)"
    assert problems(parsed) == [
        (4, "2016年", "1", "no unit for indicator gdp"),
        (4, "2017", "2", "no unit for indicator gdp"),
        (4, "2018年", "3", "no unit for indicator gdp"),
        (5, "code", "32x", "not an administrative code: '32x'"),
        (6, "2016年", "1", unknown),
        (6, "2017", "lots", unknown),  # the indicator's problem, found before the value is read
    ]


def test_indicator_columns_carry_their_unit_or_year_in_the_header():
    parsed = parse(
        "代码,年份,GDP（亿元）,常住人口(万人),popu_2020,gdp_growth_real\n"
        "320100,2017,11715.1,833.5,931.47,8.1\n"
        "320200,20x6,1,2,3,4\n"
        "320300,2018,x,—,3,-\n"
        ",2018,1,2,3,4\n"
    )
    assert (parsed.layout, parsed.empty_cells) == ("wide_indicators", 2)
    assert figures(parsed) == [
        (2, "320100", None, 2017, "gdp", 1171510000000.0, "yuan", "11715.1", "亿元"),
        (2, "320100", None, 2017, "population_year_end", 8335000.0, "persons", "833.5", "万人"),
        (2, "320100", None, 2020, "population_census", 931.47, "persons", "931.47", "人"),
        (3, "320200", None, 2020, "population_census", 3.0, "persons", "3", "人"),  # its year is its own
        (4, "320300", None, 2020, "population_census", 3.0, "persons", "3", "人"),
    ]
    assert problems(parsed) == [
        (2, "gdp_growth_real", "8.1", "no unit for indicator gdp_growth_real"),
        (3, "GDP（亿元）", "1", "not a year between 1949 and 2100: '20x6'"),
        (3, "常住人口(万人)", "2", "not a year between 1949 and 2100: '20x6'"),
        (3, "gdp_growth_real", "4", "no unit for indicator gdp_growth_real"),
        (4, "GDP（亿元）", "x", "not a number: 'x'"),
        (5, "name", "", "row names no region (code and name empty)"),
    ]


# ---------------------------------------------------------------------------------------------
# Rows and files as people save them

MESSY = (
    "admin_code,region_name,year,indicator,value,unit\n"
    "310000,上海市,2017,gdp,1,亿元\n"
    "\n"  # a blank line
    "  \n"  # spaces
    "\u3000,,,,,\n"  # an ideographic space and empty cells
    "310000,上海市\n"  # shorter than the header: padded with empty cells
    "310000,上海市,2017,gdp,2,亿元,, \n"  # longer, with nothing in the extra cells: cut
    "310000,上海市,2017,gdp,3,亿元,extra\n"  # longer, with something: set aside
    ",,2017,gdp,4,亿元,x\n"
    ",,,,,\n"
    "310000,上海市,2017,gdp,5\n"  # shorter: no unit
)


@pytest.mark.parametrize(
    "data",
    [
        MESSY.encode(),
        MESSY.replace("\n", "\r\n").encode(),
        MESSY.replace("\n", "\r").encode(),  # old Mac line ends: Python's splitter
        (MESSY + "\n\n").encode(),
        MESSY.rstrip("\n").encode(),
        MESSY.replace(",1,", ',"1",').encode(),  # a quoted cell: Python's splitter
        MESSY.encode("utf-16"),
        MESSY.encode("gbk"),
    ],
    ids=["lf", "crlf", "cr", "blank_lines_after", "no_last_newline", "quoted", "utf16", "gbk"],
)
def test_blank_short_and_long_rows(data):
    parsed = parse(data)
    assert figures(parsed) == [
        (2, "310000", "上海市", 2017, "gdp", 100000000.0, "yuan", "1", "亿元"),
        (7, "310000", "上海市", 2017, "gdp", 200000000.0, "yuan", "2", "亿元"),
    ]
    assert problems(parsed) == [
        (8, None, "310000,上海市,2017,gdp,3,亿元,extra", "row has 7 fields, header has 6"),
        (9, None, ",,2017,gdp,4,亿元,x", "row has 7 fields, header has 6"),
        (11, "value", "5", "no unit for indicator gdp"),
    ]
    assert parsed.empty_cells == 1  # the short row's value


CHINESE_LONG = (
    "行政区划代码,城市,年份,指标,数值,单位,备注,口径,发布日期\n"
    "310000,上海市,2017年,地区生产总值,30133.86,亿元,公报,初步核算,2018-02-26\n"
    "320100,南京市,2017,常住人口,833.5,万人,,,\n"
    "３２０１００,南京市,2017,gdp,１２３．４,亿元,,,\n"
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHINESE_LONG.encode(), "utf-8"),
        (codecs.BOM_UTF8 + CHINESE_LONG.encode(), "utf-8-sig"),
        (CHINESE_LONG.encode("gbk"), "gb18030"),
        (CHINESE_LONG.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + CHINESE_LONG.encode("utf-16-be"), "utf-16"),
    ],
    ids=["utf8", "utf8_bom", "gbk", "utf16", "utf16_be"],
)
def test_a_chinese_long_table_in_every_encoding(data, encoding):
    parsed = parse(data)
    assert (parsed.encoding, parsed.layout, parsed.ignored_columns) == (encoding, "long", ["备注"])
    assert figures(parsed) == [
        (2, "310000", "上海市", 2017, "gdp", 3013386000000.0, "yuan", "30133.86", "亿元"),
        (3, "320100", "南京市", 2017, "population_year_end", 8335000.0, "persons", "833.5", "万人"),
        (4, "320100", "南京市", 2017, "gdp", 12340000000.0, "yuan", "１２３．４", "亿元"),
    ]
    first = parsed.observations[0]
    assert (first["vintage"], first["published_on"], first["publication"]) == ("first_release", "2018-02-26", None)
    assert not parsed.quarantine


GDP_PERCENT = "unit '%' measures percent, but indicator gdp is in yuan"
UNDECODABLE = "undecodable bytes: utf-8 fails at byte 25; gb18030 fails at byte 27"


@pytest.mark.parametrize(
    ("data", "encoding", "found"),
    [
        (b"", "utf-8", "empty file"),
        (b"\n\n  \n", "utf-8", "empty file"),
        (b"admin_code,year,indicator,value,unit\n", "utf-8", []),  # a header alone: nothing, no problem
        (b"\x00admin_code,year\n", None, "binary content: a NUL byte at offset 0 and no UTF-16 byte-order mark"),
        (
            b"admin_code,year,indicator,value,unit\n310000,2017,gdp\x00,1,%\n",
            None,
            "binary content: a NUL byte at offset 52 and no UTF-16 byte-order mark",
        ),
        (codecs.BOM_UTF8 + b"admin_code,year\n\xff\n", None, "undecodable bytes: utf-8 fails at byte 16"),
        (b"city,indicator,unit,2016\n\xed\xa0\x80,gdp,%,1\n", None, UNDECODABLE),  # a UTF-8-encoded surrogate
        (b"city,indicator,unit,2016\n\xf4\x90\x80\x80,gdp,%,1\n", None, UNDECODABLE),  # beyond U+10FFFF
        # an overlong UTF-8 form is no UTF-8, but two GB18030 characters
        (b"city,indicator,unit,2016\n\xc0\xaf,gdp,%,1\n", "gb18030", [(2, "2016", "1", GDP_PERCENT)]),
        (b"admin_code,year,indicator,value,unit\r310000,2017,gdp,1,%\r", "utf-8", [(2, "value", "1", GDP_PERCENT)]),
        (
            codecs.BOM_UTF8 + b"admin_code,year,indicator,value,unit\n310000,2017,gdp,1,%\n",
            "utf-8-sig",
            [(2, "value", "1", GDP_PERCENT)],
        ),
        (
            b"city\n\xe5\x8d\x97\xe4\xba\xac\n",
            "utf-8",
            "unrecognised layout: expected year/indicator/value columns, year columns, or indicator columns; "
            "headers ['city']",
        ),
    ],
)
def test_edge_files(data, encoding, found):
    """A file-level problem (a string) leaves one entry and no figure; otherwise the entries found."""
    parsed = parse(data)
    assert parsed.encoding == encoding and parsed.observations == []
    if isinstance(found, str):
        assert parsed.error == found and problems(parsed) == [(None, None, None, found)]
    else:
        assert parsed.error is None and problems(parsed) == found


def test_a_blank_line_above_the_header_moves_the_row_numbers():
    parsed = parse("  \nadmin_code,year,indicator,value,unit\n310000,2017,gdp,1,亿元\n")
    assert figures(parsed) == [(3, "310000", None, 2017, "gdp", 100000000.0, "yuan", "1", "亿元")]


def test_rows_longer_than_the_header_with_empty_extras_are_cut_and_a_short_row_padded():
    parsed = parse(
        b"admin_code,year,indicator,value,unit\n310000,2017,gdp,1,%,,,\n310000,2018,gdp,2,%,,x\n310000,2019\n"
    )
    assert problems(parsed) == [
        (2, "value", "1", GDP_PERCENT),
        (3, None, "310000,2018,gdp,2,%,,x", "row has 7 fields, header has 5"),
    ]
    assert parsed.empty_cells == 1  # row 4's value, though its indicator is empty too


def test_arrow_accepts_as_utf8_exactly_what_python_decodes():
    """Bytes Arrow's check passes go to the fast path as UTF-8: Python must agree on every boundary."""
    candidates = [bytes([a]) for a in range(0x80, 0x100)]
    candidates += [bytes([a, b]) for a in range(0xC0, 0x100) for b in range(0x100)]
    edges = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
    candidates += [bytes([a, b, c]) for a in range(0xE0, 0xF0) for b in range(0x100) for c in edges]
    candidates += [bytes([a, b, c, d]) for a in range(0xF0, 0xF8) for b in range(0x100) for c in edges for d in edges]
    for sequence in candidates:
        data = b"a" + sequence + b"b"
        try:
            data.decode("utf-8")
            python = True
        except UnicodeDecodeError:
            python = False
        assert (_utf8(data)[0] == "utf-8") == python, sequence


# ---------------------------------------------------------------------------------------------
# Properties of generated tables

CODES = ["310000", "320100", "3201", "32", "320100000", "32x", "", " 330100 ", "３２０１００", "3201.0"]
NAMES = ["上海市", "南京市", " 杭州市 ", "", "\u3000"]
INDICATORS = ["gdp", "GDP", "地区生产总值", "常住人口", "gdp_growth_real", "tourist_arrivals", "", "population_census"]
UNITS = ["亿元", "万元", "元", "万亿元", "万人", "人", "%", "亿美元", "", " 亿元 "]
YEARS = ["2016", "2017年", "2020.0", "20x6", "1800", "", " 2019 "]
VINTAGES = ["", "first_release", "初步核算", " 最终核实 ", "estimate"]
DATES = ["", "2018-02-26", "2019年3月1日", "2018-02-30", "soon"]
EMPTY_TEXTS = ["", " ", "-", "—", "…", "N/A", "\u3000"]  # the value cells that are empty
NUMBERS = ["30133.86", "-12.5", "-0", "7", "1234567890123456", "0.9007199254740993", "１２３．４", " 42 ", "1e5"]
VALUES = NUMBERS * 3 + ["lots", "12.3.4", "约12.5", "inf", ".5", "+3"] + EMPTY_TEXTS
# layout -> header, the texts of each column, the value columns
LAYOUTS = {
    "long": (
        ["admin_code", "region_name", "year", "indicator", "value", "unit", "source", "vintage", "published_on"],
        [CODES, NAMES, YEARS, INDICATORS, VALUES, UNITS, ["公报", ""], VINTAGES, DATES],
        [4],
    ),
    "long_zh": (
        ["行政区划代码", "城市", "年份", "指标", "数值", "单位", "备注", "口径", "发布日期"],
        [CODES, NAMES, YEARS, INDICATORS, VALUES, UNITS, ["公报", ""], VINTAGES, DATES],
        [4],
    ),
    "wide": (
        ["region_code", "region_name", "indicator", "unit", "2016年", "2017", "notes", "2018年"],
        [CODES, NAMES, INDICATORS, UNITS, VALUES, VALUES, ["x", ""], VALUES],
        [4, 5, 7],
    ),
    "indicators": (
        ["代码", "年份", "GDP（亿元）", "常住人口(万人)", "popu_2020", "gdp_growth_real"],
        [CODES, YEARS, VALUES, VALUES, VALUES, VALUES],
        [2, 3, 4, 5],
    ),
}
ROW_SHAPES = ["whole"] * 6 + ["blank", "spaces", "ideographic", "short", "long_empty", "long_extra"]
REGION_PROBLEMS = {"code", "name", "vintage", "published_on"}


@st.composite
def tables(draw) -> tuple[str, list[str], list[list[str]]]:
    """(layout, header, rows) of a table with blank, short and long rows among its whole ones."""
    layout = draw(st.sampled_from(sorted(LAYOUTS)))
    header, texts, _ = LAYOUTS[layout]
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        # mostly the first (usable) text of each column, so that most rows give figures
        row = [
            draw(st.sampled_from(options if options is VALUES else [options[0]] * 12 + options)) for options in texts
        ]
        shape = draw(st.sampled_from(ROW_SHAPES))
        if shape == "blank":
            row = []
        elif shape == "spaces":
            row = ["  "]
        elif shape == "ideographic":
            row = ["\u3000"] + [""] * (len(header) - 1)
        elif shape == "short":
            row = row[: draw(st.integers(1, len(header) - 1))]
        elif shape == "long_empty":
            row = row + ["", " "]
        elif shape == "long_extra":
            row = row + ["extra"]
        rows.append(row)
    return layout, header, rows


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in [header, *rows]) + "\n"


@EXAMPLES
@given(table=tables())
def test_every_data_cell_ends_up_once_as_a_figure_a_quarantine_entry_or_an_empty_cell(table):
    layout, header, rows = table
    value_columns = LAYOUTS[layout][2]
    parsed = parse(csv_text(header, rows))
    assert parsed.error is None
    figures_in = Counter(o["source_row"] for o in parsed.observations)
    entries_in = defaultdict(list)
    for entry in parsed.quarantine:
        entries_in[entry["source_row"]].append(entry)
    assert set(figures_in) | set(entries_in) <= set(range(2, len(rows) + 2))
    empty = 0
    for number, cells in enumerate(rows, start=2):
        figures_here, entries = figures_in[number], entries_in[number]
        columns = [entry["column_name"] for entry in entries]
        if not any(cell.strip() for cell in cells):  # a blank row: nothing at all
            assert figures_here == 0 and not entries, number
        elif any(cell.strip() for cell in cells[len(header) :]):  # a row longer than the header: set aside
            assert figures_here == 0 and columns == [None], number
            assert entries[0]["reason"] == f"row has {len(cells)} fields, header has {len(header)}"
            assert entries[0]["raw_value"] == ",".join(cells)
        elif REGION_PROBLEMS & set(columns):  # a row whose region or provenance is unreadable: one entry
            assert figures_here == 0 and len(entries) == 1, number
        else:
            padded = cells + [""] * (len(header) - len(cells))
            assert padded[0].strip() or (layout != "indicators" and padded[1].strip()), "a row naming no region"
            blanks = sum(padded[i] in EMPTY_TEXTS for i in value_columns)
            assert set(columns) <= {header[i] for i in value_columns}
            assert figures_here + len(entries) + blanks == len(value_columns), number
            empty += blanks
    assert parsed.empty_cells == empty


@EXAMPLES
@given(table=tables())
def test_rows_converted_in_many_small_blocks_give_what_one_block_gives(table):
    """Blocks of a few cells, converted by two threads: the same figures and problems, in row order."""
    _, header, rows = table
    data = csv_text(header, rows).encode()
    whole = summary(parse(data))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conversion, "BLOCK_CELLS", 7)
        assert summary(parse(data)) == whole


@EXAMPLES
@given(table=tables(), quoted=st.booleans())
def test_every_encoding_line_end_and_splitter_gives_the_same_figures(table, quoted):
    """Arrow's splitter (plain UTF-8 and re-encoded text) and Python's (a quote character, or lone
    carriage returns) read the same table the same way, in any encoding the reader accepts."""
    _, header, rows = table
    text = csv_text(header, rows)
    if quoted:  # a last row of one empty quoted cell: blank, but no plain CSV
        text += '""\n'
    plain = summary(parse(text.encode()))
    renderings = {
        "crlf": text.replace("\n", "\r\n").encode(),
        "cr": text.replace("\n", "\r").encode(),
        "no_last_newline": text.rstrip("\n").encode(),
        "blank_lines_after": (text + "\n\n").encode(),
        "utf-8-sig": codecs.BOM_UTF8 + text.encode(),
        "utf-16": text.encode("utf-16"),
        "gb18030": text.encode("gb18030"),
    }
    for name, data in renderings.items():
        assert summary(parse(data)) == plain, name
