"""Parse statistical tables (CSV or XLSX, long or wide, Chinese or English headers) into figures.

Every accepted cell becomes one observation in base units with its provenance; every rejected row or
cell becomes a quarantine entry with the reason. A file that cannot be read at all becomes one
file-level quarantine entry. Nothing raises past ``parse_statistics_file``.

The cells are converted in DuckDB, a column at a time, because a county table holds millions of them:

- a plain CSV (after decoding: no quote character, no blank line, no lone carriage return) is read by
  DuckDB's own CSV reader, whose record numbers are then those of Python's ``csv`` module; any other
  CSV, a CSV that DuckDB refuses (a row longer than the header) and an XLSX workbook are split into
  rows in Python;
- what a header, a code, an indicator, a unit or a year means is decided in Python by the same rules
  as ever, once per distinct value, and joined back;
- a value of at most 15 plain decimal digits is scaled to its base unit in SQL by one IEEE
  multiplication or division of exact operands, which rounds exactly as ``float(Decimal(text) *
  factor)`` does (30133.86 亿元 is 3013386000000.0 yuan); any other value (full-width digits,
  separators, 1e5, words) goes through ``parse_number`` in Python, once per distinct text.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal

import duckdb
import pyarrow as pa

from orchestration.lib.textio import DecodeError, RawFile, decode
from orchestration.lib.units import (
    DEFAULT_UNITS,
    ValueProblem,
    base_unit_of,
    normalise_label,
    parse_indicator,
    parse_number,
    split_label_unit,
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


# What Python's str.strip() removes (the characters whose isspace() is true), for DuckDB's trim().
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A value scaled in SQL: at most 15 digits, so that its digits are an exact double.
_PLAIN_NUMBER = r"-?[0-9]{1,15}(\.[0-9]{1,15})?"
_POWERS_OF_TEN = "([" + ", ".join(f"1e{k}" for k in range(23)) + "]::double[])"
OBSERVATION_SCHEMA = pa.schema(
    [
        ("source_row", pa.int64()),
        ("region_code", pa.string()),
        ("region_name", pa.string()),
        ("province_name", pa.string()),
        ("publication", pa.string()),
        ("verification", pa.string()),
        ("verification_note", pa.string()),
        ("year", pa.int64()),
        ("indicator", pa.string()),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("original_value", pa.string()),
        ("original_unit", pa.string()),
    ]
)
_REGION_ROLES = ("code", "name", "province", "source", "verification", "verification_note")
_FIGURE_ROLES = ("indicator", "unit", "year")
QUARANTINE_SCHEMA = pa.schema(
    [("source_row", pa.int64()), ("column_name", pa.string()), ("raw_value", pa.string()), ("reason", pa.string())]
)


class FileProblem(ValueError):
    """The whole file is unusable; the message is the quarantine reason."""


@dataclass
class ParsedFile:
    """What one file yielded: observations, quarantine entries and a manifest row."""

    observation_table: pa.Table = field(default_factory=OBSERVATION_SCHEMA.empty_table)
    quarantine_table: pa.Table = field(default_factory=QUARANTINE_SCHEMA.empty_table)
    encoding: str | None = None
    layout: str | None = None
    ignored_columns: list[str] = field(default_factory=list)
    empty_cells: int = 0
    error: str | None = None

    @property
    def observations(self) -> list[dict]:
        return self.observation_table.to_pylist()

    @property
    def quarantine(self) -> list[dict]:
        return self.quarantine_table.to_pylist()


@dataclass(frozen=True)
class Column:
    """How one header cell is read: a role, or an (indicator, year, unit) value column."""

    index: int
    header: str
    role: str | None = None
    indicator: str | None = None
    year: int | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Context:
    """What the cells of a value column mean in rows with the given indicator, unit and year cells.

    ``before_number`` is a problem found before the value is read (unknown indicator, no unit, a bad
    year) and ``after_number`` one found after it (an unknown or mismatched unit): a value that is not
    a number is reported as such only when there is no problem of the first kind."""

    before_number: str | None = None
    after_number: str | None = None
    indicator: str | None = None
    unit: str | None = None
    year: int | None = None
    base_unit: str | None = None
    exponent: int | None = None


def parse_statistics_file(raw: RawFile) -> ParsedFile:
    parsed = ParsedFile()
    try:
        with duckdb.connect() as con:
            header = _load_cells(con, raw, parsed)
            columns = _classify(header, parsed)
            _convert(con, columns, len(header), parsed)
    except (FileProblem, DecodeError) as exc:
        parsed.error = str(exc)
        parsed.observation_table = OBSERVATION_SCHEMA.empty_table()
        parsed.quarantine_table = pa.Table.from_pylist([_problem(None, None, None, str(exc))], QUARANTINE_SCHEMA)
    return parsed


def _load_cells(con: duckdb.DuckDBPyConnection, raw: RawFile, parsed: ParsedFile) -> list[str]:
    """Create the view ``data_cells`` (source_row, c1 … cN as text) of the rows after the header and the
    table ``ragged`` of rows longer than the header; return the header."""
    suffix = raw.path.suffix.lower()
    if suffix == ".xlsx":
        parsed.encoding = "xlsx"
        return _register_rows(con, _xlsx_rows(raw))
    if suffix != ".csv":
        raise FileProblem(f"unsupported table format {suffix!r}; expected one of {TABLE_SUFFIXES}")
    text, parsed.encoding = decode(raw.data)
    if not text.strip():
        raise FileProblem("empty file")
    utf8 = raw.data[3:] if parsed.encoding == "utf-8-sig" else raw.data
    utf8 = utf8 if parsed.encoding in ("utf-8", "utf-8-sig") else text.encode("utf-8")
    if _plain_csv(utf8):
        try:
            return _duckdb_cells(con, utf8)
        except duckdb.Error:  # e.g. a row longer than the header: Python splits it and says why
            con.execute("drop view if exists data_cells; drop table if exists cells; drop table if exists ragged")
    rows = (
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if any(cell.strip() for cell in row)
    )
    return _register_rows(con, rows)


def _plain_csv(data: bytes) -> bool:
    """True when DuckDB numbers the records of these UTF-8 bytes as Python's csv module does."""
    return (
        b'"' not in data
        and b"\x00" not in data
        and b"\n\n" not in data
        and b"\n\r\n" not in data
        and data.count(b"\r") == data.count(b"\r\n")
        and bool(_first_line(data).decode("utf-8").strip())
    )


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data if end < 0 else data[:end]


def _duckdb_cells(con: duckdb.DuckDBPyConnection, data: bytes) -> list[str]:
    width = _first_line(data).count(b",") + 1
    names = [f"c{i}" for i in range(1, width + 1)]
    # DuckDB reads files; a tmpfs, when there is one, keeps the copy in memory
    folder = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    handle, name = tempfile.mkstemp(suffix=".csv", prefix="statistics-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        con.execute(
            f"""create table cells as select * from read_csv(?, header = false, auto_detect = false,
            delim = ',', quote = '"', escape = '"', null_padding = true,
            columns = {{{", ".join(f"'{n}': 'varchar'" for n in names)}}})""",
            [name],
        )
    finally:
        os.unlink(name)
    con.execute(
        f"create view data_cells as select rowid + 1 as source_row, {', '.join(names)} from cells where rowid > 0"
    )
    con.execute("create table ragged (source_row bigint, raw_value varchar, reason varchar)")
    return ["" if cell is None else cell for cell in con.execute("select * from cells where rowid = 0").fetchall()[0]]


def _register_rows(con: duckdb.DuckDBPyConnection, rows: Iterable[tuple[int, list[str]]]) -> list[str]:
    rows = iter(rows)
    _, header = next(rows, (None, None))
    if header is None:
        raise FileProblem("empty table: no header row")
    width = len(header)
    numbers: list[int] = []
    columns: list[list[str]] = [[] for _ in range(width)]
    ragged = []
    for number, cells in rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            ragged.append((number, ",".join(cells), f"row has {len(cells)} fields, header has {width}"))
            continue
        numbers.append(number)
        for i in range(width):
            columns[i].append(cells[i] if i < len(cells) else "")
    cells = pa.table(
        {
            "source_row": pa.array(numbers, pa.int64()),
            **{f"c{i + 1}": pa.array(c, pa.string()) for i, c in enumerate(columns)},
        }
    )
    con.register("_rows", cells)
    con.execute("create table data_cells as select * from _rows")
    con.unregister("_rows")
    con.execute("create table ragged (source_row bigint, raw_value varchar, reason varchar)")
    if ragged:
        con.executemany("insert into ragged values (?, ?, ?)", ragged)
    return list(header)


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


def _convert(con: duckdb.DuckDBPyConnection, columns: list[Column], width: int, parsed: ParsedFile) -> None:
    """Observations and quarantine entries of the rows in ``data_cells``, in row and column order."""
    role_index = {c.role: c.index for c in columns if c.role}  # the last column of a role wins
    values = [c for c in columns if c.role is None or (c.role == "value" and parsed.layout == "long")]

    def cell(role: str) -> str:
        return f"d.c{role_index[role] + 1}" if role in role_index else "null::varchar"

    def same(keys: tuple[str, ...], table: str) -> str:
        return " and ".join(f"{table}.k_{role} is not distinct from {cell(role)}" for role in keys)

    # The region and provenance a row names: once per distinct (code, name, province, source, …).
    regions = []
    keys = con.sql(f"select distinct {', '.join(cell(r) for r in _REGION_ROLES)} from data_cells d").fetchall()
    for rkey, raw in enumerate(keys):
        role = dict(zip(_REGION_ROLES, ["" if v is None else v.strip() for v in raw], strict=True))
        try:
            code, problem = _region_code(role["code"]), None
        except ValueProblem as exc:
            code, problem = None, ("code", role["code"], str(exc))
        if problem is None and not code and not role["name"]:
            problem = ("name", "", "row names no region (code and name empty)")
        provenance = [role[r] or None for r in _REGION_ROLES[1:]]
        regions.append((rkey, *raw, code, *provenance, *(problem or (None, None, None))))
    text = pa.string()
    _table(
        con,
        "regions",
        [("rkey", pa.int64()), *((f"k_{r}", text) for r in _REGION_ROLES), ("region_code", text)]
        + [(name, text) for name in ("region_name", "province_name", "publication", "verification")]
        + [(name, text) for name in ("verification_note", "q_column", "q_value", "q_reason")],
        regions,
    )
    # What a value column means in a row: once per distinct (column, indicator, unit, year).
    contexts = []
    keys = con.sql(f"select distinct {', '.join(cell(r) for r in _FIGURE_ROLES)} from data_cells d").fetchall()
    for fkey, raw in enumerate(keys):
        indicator, unit, year = ["" if v is None else v.strip() for v in raw]
        for position, column in enumerate(values, start=1):
            contexts.append((fkey, position, column.header, *vars(context(column, indicator, unit, year)).values()))
    _table(
        con,
        "figure_keys",
        [("fkey", pa.int64()), *((f"k_{r}", text) for r in _FIGURE_ROLES)],
        [(fkey, *raw) for fkey, raw in enumerate(keys)],
    )
    _table(
        con,
        "contexts",
        [("fkey", pa.int64()), ("position", pa.int64()), ("column_name", text)]
        + [(f.name, pa.int64() if f.name in ("year", "exponent") else text) for f in fields(Context)],
        contexts,
    )
    blank = f"trim(concat({', '.join(f'd.c{i}' for i in range(1, width + 1))}), $ws) = ''"
    if len(values) == 1:
        value_cells = f"d.c{values[0].index + 1} as cell, 1 as position"
    else:
        value_cells = (
            f"unnest([{', '.join(f'd.c{c.index + 1}' for c in values)}]) as cell, "
            f"unnest(range(1, {len(values) + 1})) as position"
        )
    plain = (
        f"regexp_full_match(cell, '{_PLAIN_NUMBER}') and "
        "length(cell) - contains(cell, '.')::int - starts_with(cell, '-')::int <= 15"
    )
    con.execute(
        f"""create table value_cells as
        select d.source_row, r.rkey, f.fkey, {value_cells}
        from data_cells d
        join regions r on {same(_REGION_ROLES, "r")}
        join figure_keys f on {same(_FIGURE_ROLES, "f")}
        where r.q_column is distinct from 'name' or not {blank}""",
        {"ws": WHITESPACE},
    )
    con.execute(
        f"""create table kinds as
        select c.source_row, c.rkey, c.fkey, c.position, c.cell, x.exponent,
               case when c.cell is null or c.cell = '' then 'empty' when {plain} then 'plain' else 'other' end as kind
        from value_cells c join contexts x using (fkey, position) join regions r using (rkey)
        where r.q_reason is null"""
    )
    # A value that is not a plain decimal: Python's rules, once per distinct text and unit factor.
    others = []
    for raw, exponent in con.sql(
        "select distinct cell, coalesce(exponent, 0) from kinds where kind = 'other'"
    ).fetchall():
        stripped = raw.strip()
        if normalise_label(stripped) in EMPTY_CELLS:
            others.append((raw, exponent, stripped, "empty", None, None))
            continue
        try:
            number = float(parse_number(stripped) * Decimal(10) ** exponent)
            others.append((raw, exponent, stripped, "number", None, number))
        except ValueProblem as exc:
            others.append((raw, exponent, stripped, "not_a_number", str(exc), None))
    _table(
        con,
        "others",
        [("cell", text), ("exponent", pa.int64()), ("original_value", text), ("kind", text), ("reason", text)]
        + [("value", pa.float64())],
        others,
    )
    digits = "replace(replace(k.cell, '-', ''), '.', '')::double"
    shift = "k.exponent - if(contains(k.cell, '.'), length(k.cell) - strpos(k.cell, '.'), 0)"
    con.execute(
        f"""create table classified as
        select k.source_row, k.rkey, k.fkey, k.position, coalesce(o.original_value, k.cell, '') as original_value,
               coalesce(o.kind, k.kind) as kind, o.reason as number_problem,
               case when k.kind = 'plain' and k.exponent is not null then
                        if(starts_with(k.cell, '-'), -1, 1)
                        * if({shift} >= 0, {digits} * {_POWERS_OF_TEN}[{shift} + 1],
                             {digits} / {_POWERS_OF_TEN}[-({shift}) + 1])
                    else o.value end as value
        from kinds k left join others o
          on k.kind = 'other' and o.cell = k.cell and o.exponent = coalesce(k.exponent, 0)
        """
    )
    parsed.empty_cells = con.sql("select count(*) from classified where kind = 'empty'").fetchall()[0][0]
    parsed.observation_table = (
        con.sql(
            """select k.source_row, r.region_code, r.region_name, r.province_name, r.publication, r.verification,
                   r.verification_note, x.year, x.indicator, k.value, x.base_unit as unit, k.original_value,
                   x.unit as original_unit
            from classified k join regions r using (rkey) join contexts x using (fkey, position)
            where k.kind in ('plain', 'number') and x.before_number is null and x.after_number is null
            order by k.source_row, k.position"""
        )
        .to_arrow_table()
        .cast(OBSERVATION_SCHEMA)
    )
    parsed.quarantine_table = (
        con.sql(
            """select source_row, column_name, raw_value, reason from (
                select source_row, 0 as position, null as column_name, raw_value, reason from ragged
                union all
                select c.source_row, 0, r.q_column, r.q_value, r.q_reason
                from value_cells c join regions r using (rkey)
                where c.position = 1 and r.q_reason is not null
                union all
                select k.source_row, k.position, x.column_name, k.original_value,
                       coalesce(x.before_number, k.number_problem, x.after_number)
                from classified k join contexts x using (fkey, position)
                where k.kind <> 'empty' and coalesce(x.before_number, k.number_problem, x.after_number) is not null
            ) order by source_row, position"""
        )
        .to_arrow_table()
        .cast(QUARANTINE_SCHEMA)
    )


def _table(con: duckdb.DuckDBPyConnection, name: str, schema: list[tuple[str, pa.DataType]], rows: list[tuple]):
    """A small table of what Python decided."""
    columns = {column: pa.array([row[i] for row in rows], kind) for i, (column, kind) in enumerate(schema)}
    con.register(f"_{name}", pa.table(columns))
    con.execute(f"create table {name} as select * from _{name}")
    con.unregister(f"_{name}")


def context(column: Column, indicator_text: str, unit_text: str, year_text: str) -> Context:
    """What the cells of ``column`` mean in a row whose indicator, unit and year cells hold these texts."""
    indicator = column.indicator
    unit = column.unit or unit_text or None
    if indicator is None:
        name, unit_in_label = split_label_unit(normalise_label(indicator_text))
        indicator = parse_indicator(name)
        unit = unit or unit_in_label
        if indicator is None:
            return Context(before_number=f"unknown indicator {indicator_text!r}")
    unit = unit or DEFAULT_UNITS.get(indicator)
    if not unit:
        return Context(before_number=f"no unit for indicator {indicator}")
    try:
        year = column.year if column.year is not None else _year(year_text)
    except ValueProblem as exc:
        return Context(before_number=str(exc))
    try:
        base, factor = base_unit_of(unit, indicator)
    except ValueProblem as exc:
        return Context(after_number=str(exc), indicator=indicator, unit=unit, year=year)
    return Context(None, None, indicator, unit, year, base, factor.adjusted())


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
