"""The fast parser against a row-by-row reference, cell by cell, on many small messy tables.

``parse_statistics_file`` reads a plain UTF-8 CSV with Arrow's reader and converts cells a column at a
time; anything else goes through Python's csv module. The reference below is the parser as it was
before any of that (one row at a time, the same rules from ``orchestration.statistics.units``): every
observation, quarantine row, empty-cell count, encoding and layout must come out the same, floats
bit for bit.
"""

from __future__ import annotations

import codecs
import csv
import io
import random
import struct
from pathlib import Path

import pytest

from orchestration.raw_files.decoding import DecodeError, RawFile, decode
from orchestration.statistics import conversion
from orchestration.statistics import reader as st
from orchestration.statistics.conversion import _region_code, context
from orchestration.statistics.layout import classify
from orchestration.statistics.loading import _utf8
from orchestration.statistics.reader import FileProblem, parse_statistics_file
from orchestration.statistics.units import ValueProblem, normalise_label, parse_number
from orchestration.statistics.value_cells import EMPTY_CELLS
from orchestration.statistics.vintages import parse_published_on, parse_vintage
from tests.conftest import CATALOGUE

# ---------------------------------------------------------------------------------------------
# The reference: one row at a time


def reference(name: str, data: bytes) -> dict:
    parsed = st.ParsedFile()
    observations, quarantine, empty = [], [], 0
    try:
        text, parsed.encoding = decode(data)
        if not text.strip():
            raise FileProblem("empty file")
        rows = (
            (number, row)
            for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if any(cell.strip() for cell in row)
        )
        _, header = next(rows, (None, None))
        if header is None:
            raise FileProblem("empty table: no header row")
        columns = classify(header, parsed, CATALOGUE)
        for number, cells in rows:
            empty += _reference_row(number, cells, header, columns, parsed.layout, observations, quarantine)
    except (FileProblem, DecodeError) as exc:
        return {"error": str(exc), "observations": [], "quarantine": [st._problem(None, None, None, str(exc))]}
    return {
        "error": None,
        "observations": observations,
        "quarantine": quarantine,
        "empty_cells": empty,
        "encoding": parsed.encoding,
        "layout": parsed.layout,
        "ignored_columns": parsed.ignored_columns,
    }


def _reference_row(number, cells, header, columns, layout, observations, quarantine) -> int:
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        quarantine.append(
            st._problem(number, None, ",".join(cells), f"row has {len(cells)} fields, header has {len(header)}")
        )
        return 0
    cells = cells + [""] * (len(header) - len(cells))
    role = {c.role: cells[c.index].strip() for c in columns if c.role}
    read = {}
    for name, parse in (("code", _region_code), ("vintage", parse_vintage), ("published_on", parse_published_on)):
        try:
            read[name] = parse(role[name]) if role.get(name) else None
        except ValueProblem as exc:
            quarantine.append(st._problem(number, name, role[name], str(exc)))
            return 0
    region_code = read["code"]
    if not region_code and not role.get("name"):
        quarantine.append(st._problem(number, "name", "", "row names no region (code and name empty)"))
        return 0
    base = {
        "source_row": number,
        "region_code": region_code,
        "region_name": role.get("name") or None,
        "province_name": role.get("province") or None,
        "publication": role.get("source") or None,
        "verification": role.get("verification") or None,
        "verification_note": role.get("verification_note") or None,
        "vintage": read["vintage"],
        "published_on": read["published_on"],
    }
    empty = 0
    for column in columns:
        if column.role is not None and not (column.role == "value" and layout == "long"):
            continue
        raw_value = cells[column.index].strip()
        if normalise_label(raw_value) in EMPTY_CELLS:
            empty += 1
            continue
        try:
            figure = _reference_figure(column, role, raw_value)
        except ValueProblem as exc:
            quarantine.append(st._problem(number, column.header, raw_value, str(exc)))
            continue
        observations.append({**base, **figure})
    return empty


def _reference_figure(column, role, raw_value) -> dict:
    meaning = context(column, role.get("indicator", ""), role.get("unit", ""), role.get("year", ""), CATALOGUE)
    if meaning.before_number:
        raise ValueProblem(meaning.before_number)
    number = parse_number(raw_value)
    if meaning.after_number:
        raise ValueProblem(meaning.after_number)
    value, base_unit = CATALOGUE.to_base_unit(number, meaning.unit, meaning.indicator)
    return {
        "year": meaning.year,
        "indicator": meaning.indicator,
        "value": value,
        "unit": base_unit,
        "original_value": raw_value,
        "original_unit": meaning.unit,
    }


def observed(name: str, data: bytes) -> dict:
    parsed = parse_statistics_file(RawFile(Path(name), data), CATALOGUE)
    if parsed.error:
        return {"error": parsed.error, "observations": parsed.observations, "quarantine": parsed.quarantine}
    return {
        "error": None,
        "observations": parsed.observations,
        "quarantine": parsed.quarantine,
        "empty_cells": parsed.empty_cells,
        "encoding": parsed.encoding,
        "layout": parsed.layout,
        "ignored_columns": parsed.ignored_columns,
    }


def bitwise(result: dict) -> dict:
    """Floats as their bytes, so that 0.0 and -0.0 or one ulp apart differ."""
    observations = [{**o, "value": struct.pack("<d", o["value"])} for o in result["observations"]]
    return {**result, "observations": observations}


# ---------------------------------------------------------------------------------------------
# Messy tables

CODES = ["310000", "320100", "3201", "32", "320100000", "320100000000", "32x", "", " 330100 ", "３２０１００", "3201.0"]
NAMES = ["上海市", "南京市", " 杭州市 ", "", "\u3000"]
INDICATORS = ["gdp", "GDP", "地区生产总值", "常住人口", "gdp_growth_real", "tourist_arrivals", "", "population_census"]
UNITS = ["亿元", "万元", "元", "万亿元", "万人", "人", "%", "亿美元", "", " 亿元 "]
YEARS = ["2016", "2017年", "2020.0", "20x6", "1800", "", " 2019 "]
VINTAGE_TEXTS = ["", "first_release", "初步核算", " 最终核实 ", "revised", "estimate"]
DATE_TEXTS = ["", "2018-02-26", "2019年3月1日", "2018-02-30", "soon"]
VALUES = [
    "30133.86",
    "-12.5",
    "-0",
    "0.000",
    "7",
    "123456789012345",
    "1234567890123456",
    "12345678.1234567",
    "900719925474099.3",
    "0.9007199254740993",
    "-90071992547409.93",
    "0.123456789012345",
    "１２３．４",
    " 42 ",
    "1e5",
    "1,234",
    "",
    "-",
    "—",
    "…",
    "N/A",
    "lots",
    "12.3.4",
    "约12.5",
    "inf",
    "nan",
    ".5",
    "5.",
    "+3",
]


def _cell(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options) if rng.random() < 0.3 else options[0]


def _value(rng: random.Random) -> str:
    if rng.random() < 0.5:
        digits = rng.randint(1, 17)
        number = str(rng.randrange(10 ** (digits - 1), 10**digits))
        scale = rng.randint(0, digits - 1) if rng.random() < 0.7 else 0
        text = number[:-scale] + "." + number[-scale:] if scale else number
        return ("-" if rng.random() < 0.2 else "") + text
    return rng.choice(VALUES)


def long_table(rng: random.Random) -> list[list[str]]:
    header = ["admin_code", "region_name", "year", "indicator", "value", "unit", "source", "vintage", "published_on"]
    if rng.random() < 0.3:
        header = ["行政区划代码", "城市", "年份", "指标", "数值", "单位", "备注", "口径", "发布日期"]
    rows = [header]
    for _ in range(rng.randint(0, 40)):
        rows.append(
            [
                _cell(rng, CODES),
                _cell(rng, NAMES),
                _cell(rng, YEARS),
                _cell(rng, INDICATORS),
                _value(rng),
                _cell(rng, UNITS),
                rng.choice(["公报", "", "年鉴"]),
                _cell(rng, VINTAGE_TEXTS),
                _cell(rng, DATE_TEXTS),
            ]
        )
    return rows


def wide_table(rng: random.Random) -> list[list[str]]:
    header = ["region_code", "region_name", "indicator", "unit", "2016年", "2017", "notes", "2018年"]
    rows = [header]
    for _ in range(rng.randint(0, 30)):
        rows.append(
            [_cell(rng, CODES), _cell(rng, NAMES), _cell(rng, INDICATORS), _cell(rng, UNITS)]
            + [_value(rng), _value(rng), "x", _value(rng)]
        )
    return rows


def indicator_table(rng: random.Random) -> list[list[str]]:
    header = ["代码", "年份", "GDP（亿元）", "常住人口(万人)", "popu_2020", "gdp_growth_real"]
    rows = [header]
    for _ in range(rng.randint(0, 30)):
        rows.append([_cell(rng, CODES), _cell(rng, YEARS), _value(rng), _value(rng), _value(rng), _value(rng)])
    return rows


def mess(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    """Blank, whitespace, short and long rows, as hand-made tables have them."""
    out = [rows[0]]
    for row in rows[1:]:
        r = rng.random()
        if r < 0.05:
            out.append([])
        elif r < 0.08:
            out.append(["  "])
        elif r < 0.11:
            out.append(["\u3000"] + [""] * (len(row) - 1))
        elif r < 0.15:
            out.append(row[: rng.randint(1, len(row) - 1)])
        elif r < 0.18:
            out.append(row + ["", " "])
        elif r < 0.21:
            out.append(row + ["extra"])
        elif r < 0.23:
            out.append(["", ""] + row[2:] + ["x"])
        out.append(row)
    return out


def render(rng: random.Random, rows: list[list[str]]) -> bytes:
    newline = rng.choice(["\n", "\n", "\r\n"])
    text = newline.join(",".join(row) for row in rows)
    if rng.random() < 0.7:
        text += newline
    if rng.random() < 0.1:
        text += newline * 2
    if rng.random() < 0.1:  # a quoted cell: Python's csv module splits the file
        text = text.replace("30133.86", '"30,133.86"', 1).replace(",lots,", ',"lots",', 1)
    encoding = rng.choices(["utf-8", "utf-8-sig", "gbk", "utf-16"], weights=[70, 10, 15, 5])[0]
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8")


@pytest.mark.parametrize("seed", range(12))
def test_messy_tables_parse_as_the_row_by_row_reference_does(seed, tmp_path):
    rng = random.Random(seed)
    for i in range(40):
        rows = rng.choice([long_table, wide_table, indicator_table])(rng)
        data = render(rng, mess(rng, rows))
        expected, got = reference("t.csv", data), observed("t.csv", data)
        assert bitwise(got) == bitwise(expected), (seed, i, data[:400])


@pytest.mark.parametrize("seed", range(4))
def test_rows_converted_in_many_blocks_parse_as_the_reference_does(seed, monkeypatch):
    """Blocks of a few cells, converted by two threads: the same figures and problems, in row order."""
    monkeypatch.setattr(conversion, "BLOCK_CELLS", 7)
    rng = random.Random(1000 + seed)
    for i in range(40):
        rows = rng.choice([long_table, wide_table, indicator_table])(rng)
        data = render(rng, mess(rng, rows))
        assert bitwise(observed("t.csv", data)) == bitwise(reference("t.csv", data)), (seed, i, data[:400])


def test_plain_and_python_paths_agree_on_every_quirk():
    """The same messy body read by Arrow (plain) and by Python's csv module (one quote added)."""
    rng = random.Random(99)
    for _ in range(60):
        rows = mess(rng, rng.choice([long_table, wide_table, indicator_table])(rng))
        body = "\n".join(",".join(row) for row in rows) + "\n"
        plain = observed("p.csv", body.encode())
        quoted = observed("q.csv", (body + '""\n').encode())  # a last row of one empty quoted cell
        assert bitwise(plain) == bitwise(quoted)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n  \n",
        b"  \nadmin_code,year,indicator,value,unit\n310000,2017,gdp,1,\xe4\xba\xbf\xe5\x85\x83\n",
        b"admin_code,year,indicator,value,unit\n",
        b"admin_code,year,indicator,value,unit\r310000,2017,gdp,1,%\r",
        b"admin_code,year,indicator,value,unit\n310000,2017,gdp\x00,1,%\n",
        b"\x00admin_code,year\n",
        codecs.BOM_UTF8 + b"admin_code,year,indicator,value,unit\n310000,2017,gdp,1,%\n",
        codecs.BOM_UTF8 + b"admin_code,year\n\xff\n",
        "城市,指标,单位,2016年\n南京市,地区生产总值,亿元,1\n".encode("gbk"),
        "城市,指标,单位,2016年\n南京市,地区生产总值,亿元,1\n".encode("utf-16"),
        b"city,indicator,unit,2016\n\xed\xa0\x80,gdp,%,1\n",  # a UTF-8-encoded surrogate: not UTF-8
        b"city,indicator,unit,2016\n\xc0\xaf,gdp,%,1\n",  # an overlong form
        b"city,indicator,unit,2016\n\xf4\x90\x80\x80,gdp,%,1\n",  # beyond U+10FFFF
        b"admin_code,year,indicator,value,unit\n310000,2017,gdp,1,%,,,\n310000,2018,gdp,2,%,,x\n310000,2019\n",
        b"city\n\xe5\x8d\x97\xe4\xba\xac\n",
    ],
)
def test_edge_files_parse_as_the_reference_does(data):
    assert bitwise(observed("e.csv", data)) == bitwise(reference("e.csv", data))


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
