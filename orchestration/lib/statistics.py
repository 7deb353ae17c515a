"""Parse statistical tables (CSV or XLSX, long or wide, Chinese or English headers) into figures.

Every accepted cell becomes one observation in base units with its provenance; every rejected row or
cell becomes a quarantine entry with the reason. A file that cannot be read at all becomes one
file-level quarantine entry. Nothing raises past ``parse_statistics_file``.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from orchestration.lib.textio import DecodeError, RawFile, decode
from orchestration.lib.units import (
    DEFAULT_UNITS,
    ValueProblem,
    normalise_label,
    parse_indicator,
    parse_number,
    split_label_unit,
    to_base_unit,
)

# The census file carries polygon WKT in one column: far beyond csv's 128 KiB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

TABLE_SUFFIXES = (".csv", ".xlsx")
YEAR_RANGE = range(1949, 2101)
EMPTY_CELLS = {"", "-", "—", "–", "…", "...", "na", "n/a", "null", "none"}

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
}
_ROLE_OF = {alias: role for role, aliases in ROLE_ALIASES.items() for alias in aliases}
_YEAR_HEADER = re.compile(r"(\d{4})年?")
_INDICATOR_YEAR_HEADER = re.compile(r"(.+?)_(\d{4})")


class FileProblem(ValueError):
    """The whole file is unusable; the message is the quarantine reason."""


@dataclass
class ParsedFile:
    """What one file yielded: observations, quarantine entries and a manifest row."""

    observations: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    encoding: str | None = None
    layout: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    empty_cells: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Column:
    """How one header cell is read: a role, or an (indicator, year, unit) value column."""

    index: int
    header: str
    role: str | None = None
    indicator: str | None = None
    year: int | None = None
    unit: str | None = None


def parse_statistics_file(raw: RawFile) -> ParsedFile:
    parsed = ParsedFile()
    try:
        rows = _read_rows(raw, parsed)
        header_row, header = next(rows, (None, None))
        if header is None:
            raise FileProblem("empty table: no header row")
        columns = _classify(header, parsed)
        for row_number, cells in rows:
            _parse_row(row_number, cells, header, columns, parsed)
    except (FileProblem, DecodeError) as exc:
        parsed.error = str(exc)
        parsed.observations.clear()
        parsed.quarantine = [_problem(None, None, None, str(exc))]
    return parsed


def _read_rows(raw: RawFile, parsed: ParsedFile) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based row number, cells) of non-blank rows; the first one is the header."""
    suffix = raw.path.suffix.lower()
    if suffix == ".xlsx":
        parsed.encoding = "xlsx"
        return _xlsx_rows(raw)
    if suffix != ".csv":
        raise FileProblem(f"unsupported table format {suffix!r}; expected one of {TABLE_SUFFIXES}")
    text, parsed.encoding = decode(raw.data)
    if not text.strip():
        raise FileProblem("empty file")
    return (
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if any(cell.strip() for cell in row)
    )


def _xlsx_rows(raw: RawFile) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt archive
        raise FileProblem(f"unreadable xlsx workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else str(v) for v in values]
        if any(cell.strip() for cell in cells):
            yield number, cells


def _classify(header: list[str], parsed: ParsedFile) -> list[Column]:
    columns: list[Column] = []
    for index, text in enumerate(header):
        label = normalise_label(text)
        if label in _ROLE_OF:
            columns.append(Column(index, text, role=_ROLE_OF[label]))
        elif year := _YEAR_HEADER.fullmatch(label):
            columns.append(Column(index, text, year=int(year.group(1))))
        elif (match := _INDICATOR_YEAR_HEADER.fullmatch(label)) and parse_indicator(match.group(1)):
            name, unit = split_label_unit(match.group(1))
            indicator = parse_indicator(name)
            unit = unit or DEFAULT_UNITS.get(indicator)
            columns.append(Column(index, text, indicator=indicator, year=int(match.group(2)), unit=unit))
        elif indicator := parse_indicator(split_label_unit(label)[0]):
            unit = split_label_unit(label)[1] or DEFAULT_UNITS.get(indicator)
            columns.append(Column(index, text, indicator=indicator, unit=unit))
        else:
            parsed.ignored_columns.append(text)
    roles = {c.role for c in columns if c.role}
    if not roles & {"code", "name"}:
        raise FileProblem(f"no region column (code or name) among headers {header}")
    value_columns = [c for c in columns if c.role is None]
    if "value" in roles and "year" in roles and "indicator" in roles:
        parsed.layout = "long"
    elif value_columns and all(c.year is not None and c.indicator is None for c in value_columns):
        if "indicator" not in roles:
            raise FileProblem("wide table with year columns but no indicator column")
        parsed.layout = "wide_years"
    elif value_columns and all(c.indicator is not None for c in value_columns):
        if any(c.year is None for c in value_columns) and "year" not in roles:
            raise FileProblem("indicator columns but no year column")
        parsed.layout = "wide_indicators"
    else:
        raise FileProblem(
            "unrecognised layout: expected year/indicator/value columns, year columns, or indicator "
            f"columns; headers {header}"
        )
    return columns


def _parse_row(number: int, cells: list[str], header: list[str], columns: list[Column], parsed: ParsedFile):
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
        parsed.quarantine.append(
            _problem(number, None, ",".join(cells), f"row has {len(cells)} fields, header has {len(header)}")
        )
        return
    cells = cells + [""] * (len(header) - len(cells))
    role = {c.role: cells[c.index].strip() for c in columns if c.role}
    try:
        region_code = _region_code(role.get("code", ""))
    except ValueProblem as exc:
        parsed.quarantine.append(_problem(number, "code", role.get("code"), str(exc)))
        return
    if not region_code and not role.get("name"):
        parsed.quarantine.append(_problem(number, "name", "", "row names no region (code and name empty)"))
        return
    base = {
        "source_row": number,
        "region_code": region_code,
        "region_name": role.get("name") or None,
        "province_name": role.get("province") or None,
        "publication": role.get("source") or None,
        "verification": role.get("verification") or None,
        "verification_note": role.get("verification_note") or None,
    }
    for column in columns:
        if column.role is not None and not (column.role == "value" and parsed.layout == "long"):
            continue
        raw_value = cells[column.index].strip()
        if normalise_label(raw_value) in EMPTY_CELLS:
            parsed.empty_cells += 1
            continue
        try:
            base_figure = _figure(column, role, raw_value)
        except ValueProblem as exc:
            parsed.quarantine.append(_problem(number, column.header, raw_value, str(exc)))
            continue
        parsed.observations.append({**base, **base_figure})


def _figure(column: Column, role: dict[str, str], raw_value: str) -> dict:
    indicator_text = role.get("indicator", "")
    indicator = column.indicator
    unit = column.unit or role.get("unit") or None
    if indicator is None:
        name, unit_in_label = split_label_unit(normalise_label(indicator_text))
        indicator = parse_indicator(name)
        unit = unit or unit_in_label
        if indicator is None:
            raise ValueProblem(f"unknown indicator {indicator_text!r}")
    unit = unit or DEFAULT_UNITS.get(indicator)
    if not unit:
        raise ValueProblem(f"no unit for indicator {indicator}")
    year = column.year if column.year is not None else _year(role.get("year", ""))
    value, base_unit = to_base_unit(parse_number(raw_value), unit, indicator)
    return {
        "year": year,
        "indicator": indicator,
        "value": value,
        "unit": base_unit,
        "original_value": raw_value,
        "original_unit": unit,
    }


def _year(text: str) -> int:
    match = _YEAR_HEADER.fullmatch(normalise_label(text).removesuffix(".0"))
    if not match or int(match.group(1)) not in YEAR_RANGE:
        raise ValueProblem(f"not a year between {YEAR_RANGE.start} and {YEAR_RANGE.stop - 1}: {text!r}")
    return int(match.group(1))


def _region_code(text: str) -> str | None:
    """6-digit administrative code; 2- and 4-digit forms are padded, 9/12-digit ones cut."""
    code = normalise_label(text).removesuffix(".0")
    if not code:
        return None
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValueProblem(f"not an administrative code: {text!r}")
    return code[:6].ljust(6, "0")


def _problem(row: int | None, column: str | None, value: str | None, reason: str) -> dict:
    return {"source_row": row, "column_name": column, "raw_value": value, "reason": reason}
