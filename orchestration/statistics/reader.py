"""Parse statistical tables (CSV or XLSX, long or wide, Chinese or English headers) into figures.

Every accepted cell becomes one observation in base units with its provenance; every rejected row or
cell becomes a quarantine entry with the reason. A file that cannot be read at all becomes one
file-level quarantine entry. Nothing raises past ``parse_statistics_file``.

The cells are converted a column at a time with Arrow and NumPy, because a county table holds millions
of them, and in row order, so nothing is sorted:

- a plain CSV (no quote character, no NUL, no lone carriage return) is split by Arrow's CSV reader,
  one record a line, so that its record numbers are those of Python's ``csv`` module; a row shorter
  than the header is padded and a longer one cut or set aside, as Python's splitter does. UTF-8 bytes
  go to Arrow as they are (Arrow checks them, accepting what Python's strict decoder accepts), other
  encodings once decoded and re-encoded. Any other CSV and an XLSX workbook are split in Python;
- what a header, a code, an indicator, a unit or a year means is decided in Python by the same rules
  as ever, once per distinct value (a run of rows with the same region is looked at once), and mapped
  back to the rows by index: a figure's region and context texts are indices into those values
  (dictionary-encoded columns), never copied per figure;
- the value cells are read a block of rows at a time, in two threads (Arrow and NumPy let go of the
  GIL while they work);
- a value of at most 15 plain decimal digits is scaled to its base unit by one IEEE multiplication or
  division of exact operands, which rounds exactly as ``float(Decimal(text) * factor)`` does (30133.86
  亿元 is 3013386000000.0 yuan); any other value (full-width digits, separators, 1e5, words) goes
  through ``parse_number`` in Python, once per distinct text and unit.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

from orchestration.raw_files.decoding import DecodeError, RawFile, content_refusal, decode
from orchestration.statistics.units import Catalogue, ValueProblem, normalise_label, parse_number, split_label_unit
from orchestration.statistics.vintages import parse_published_on, parse_vintage

# The census file carries polygon WKT in one column: far beyond csv's 128 KiB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

TABLE_SUFFIXES = (".csv", ".xlsx")
# Past these a file is no statistical table a person publishes but a mistake or an attack: refused.
MAX_COLUMNS = 1000
MAX_XLSX_EXPANDED_BYTES = 256 << 20  # what the workbook's parts hold once unzipped
MAX_XLSX_RATIO = 200  # unzipped : zipped; spreadsheets compress about 5-20 to 1
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
    "vintage": {"vintage", "口径", "数据口径", "版本", "数据版本"},
    "published_on": {"published_on", "发布日期", "发布时间", "公布日期"},
    # a region's boundary as WKT (the census table's coord): kept per region for the report's map
    "boundary": {"boundary", "coord", "geometry", "geom", "wkt", "边界", "行政边界"},
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
_POWERS = np.array([float(10**k) for k in range(23)])  # the powers of ten that are exact doubles
_EMPTY, _PLAIN, _NUMBER, _NOT_A_NUMBER = range(4)  # what a value cell holds
BLOCK_CELLS = 1 << 18  # value cells read at a time, by one of two threads
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
_REGION_ROLES = ("code", "name", "province", "source", "verification", "verification_note", "vintage", "published_on")
_FIGURE_ROLES = ("indicator", "unit", "year")
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
MAX_QUOTED_WKT = 80  # characters of a boundary that is no polygon, quoted in its quarantine entry


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


def parse_statistics_file(raw: RawFile, catalogue: Catalogue) -> ParsedFile:
    """The figures and quarantine entries of one file, its indicators named as ``catalogue`` knows them."""
    parsed = ParsedFile()
    try:
        header, cells, ragged = _load_cells(raw, parsed, catalogue)
        if len(header) > MAX_COLUMNS:
            raise FileProblem(f"{len(header):,} columns: more than the {MAX_COLUMNS:,} a statistics table may have")
        columns = _classify(header, parsed, catalogue)
        _convert(cells, ragged, columns, len(header), parsed, catalogue)
    except (FileProblem, DecodeError) as exc:
        return refused_file(str(exc), parsed.encoding)
    except Exception as exc:  # a reader's bug must cost one file, not the refresh
        return refused_file(f"the statistics reader failed on this file ({type(exc).__name__}: {exc})", parsed.encoding)
    return parsed


def refused_file(reason: str, encoding: str | None = None) -> ParsedFile:
    """A file that yields nothing but one file-level quarantine entry with ``reason``."""
    return ParsedFile(
        quarantine_table=pa.Table.from_pylist([_problem(None, None, None, reason)], QUARANTINE_SCHEMA),
        encoding=encoding,
        error=reason,
    )


Ragged = list[tuple[int, str, str]]  # (source row, the row's cells joined by commas, reason)


def _load_cells(raw: RawFile, parsed: ParsedFile, catalogue: Catalogue) -> tuple[list[str], pa.Table, Ragged]:
    """The header, the table (source_row, c1 … cN as text, never null) of the rows after it and the rows
    longer than the header."""
    suffix = raw.path.suffix.lower()
    if suffix == ".xlsx":
        parsed.encoding = "xlsx"
        return _rows_table(_published_table(_xlsx_rows(raw), parsed, catalogue))
    if suffix != ".csv":
        raise FileProblem(f"unsupported table format {suffix!r}; expected one of {TABLE_SUFFIXES}")
    refused = content_refusal(raw.data)
    if refused is not None:
        raise FileProblem(refused)
    # Plain UTF-8, the usual case: the bytes go to Arrow's reader as they are, never decoded in Python.
    # A table whose first line is not its header (a portal export, a yearbook page) is read in Python.
    encoding, body = _utf8(raw.data)
    if encoding is not None and _plain_csv(body) and (loaded := _arrow_cells(body)) and _header_first(loaded):
        parsed.encoding = encoding
        return loaded
    text, parsed.encoding = decode(raw.data)
    if not text.strip():
        raise FileProblem("empty file")
    if parsed.encoding not in ("utf-8", "utf-8-sig"):
        utf8 = text.encode("utf-8")
        if _plain_csv(utf8) and (loaded := _arrow_cells(utf8)) is not None and _header_first(loaded):
            return loaded
    rows = (
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if any(cell.strip() for cell in row)
    )
    return _rows_table(_published_table(rows, parsed, catalogue))


def _utf8(data: bytes) -> tuple[str | None, bytes]:
    """("utf-8" or "utf-8-sig", the bytes after any byte-order mark) when ``decode`` would read these
    bytes as UTF-8; (None, …) when it would not or might not (it then decides, as it always has)."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8-sig", data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data[:4096]:
        return None, data
    else:
        encoding = "utf-8"
    try:  # Arrow's check of well-formed UTF-8 accepts what Python's strict decoder accepts
        offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return None, data
    return encoding, data


def _plain_csv(data: bytes) -> bool:
    """True when the records of these UTF-8 bytes are their lines split at commas, as Python's csv
    module reads them: no quote character, no NUL, no carriage return but in CRLF, a non-blank first line."""
    return (
        b'"' not in data
        and b"\x00" not in data
        and (b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"))
        and bool(_first_line(data).decode("utf-8").strip())
    )


def _first_line(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data if end < 0 else data[:end]


def _arrow_cells(data: bytes) -> tuple[list[str], pa.Table, Ragged] | None:
    """Arrow's CSV reader over plain CSV bytes: one record a line (a blank line is a record of empty
    cells), so that a row's number is its line number. Rows shorter than the header are padded with
    empty cells and longer ones cut or set aside, as for Python's splitter. None if Arrow cannot say."""
    width = _first_line(data).count(b",") + 1
    if width < 2:
        return None
    names = [f"c{i}" for i in range(1, width + 1)]
    odd: list[tuple[int | None, str, int]] = []

    def set_aside(row: pacsv.InvalidRow) -> str:
        odd.append((row.number, row.text, row.actual_columns))
        return "skip"

    def read(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(data),
            # one block: a column is one array, never copied to be combined
            read_options=pacsv.ReadOptions(column_names=names, use_threads=threads, block_size=_block_size(data)),
            parse_options=pacsv.ParseOptions(
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=set_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )

    try:
        table = read(threads=True)  # its columns converted in parallel
        if odd:  # read again in one thread, which knows the line numbers of the rows it sets aside
            odd.clear()
            table = read(threads=False)
    except pa.ArrowException:
        return None
    if table.num_rows == 0 or any(n is None or text.count(",") + 1 != fields for n, text, fields in odd):
        return None
    header = table.slice(0, 1).to_pylist()[0]
    header = [header[name] for name in names]
    table = table.slice(1)
    lines = np.arange(2, table.num_rows + len(odd) + 2, dtype=np.int64)
    if not odd:
        return header, table.add_column(0, "source_row", pa.array(lines)), []
    # the rows Arrow set aside, by their line numbers
    ragged, extra = [], []
    for number, text, _ in odd:
        cells = text.split(",")
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            ragged.append((number, text, f"row has {len(cells)} fields, header has {width}"))
        else:
            extra.append((number, cells[:width] + [""] * (width - len(cells))))
    numbers = np.array([number for number, _, _ in odd], dtype=np.int64)
    lines = lines[~np.isin(lines, numbers)]
    table = table.add_column(0, "source_row", pa.array(lines))
    if extra:
        padded = pa.table(
            {
                "source_row": pa.array([number for number, _ in extra], pa.int64()),
                **{name: pa.array([cells[i] for _, cells in extra], pa.string()) for i, name in enumerate(names)},
            }
        )
        table = pa.concat_tables([table, padded]).sort_by("source_row")
    return header, table, sorted(ragged)


def _block_size(data: bytes) -> int:
    """Arrow's block: the whole file when it is under 1 GiB (a row must fit in a block)."""
    return max(1 << 20, min(len(data) + 1, 1 << 30))


_HEADER_SEARCH_ROWS = 20  # a header further down than this is no table's
_META_LINE = re.compile(r"([^:：]{1,8})[:：](.*)")  # 指标：…, 单位：…, 口径：…, 发布日期：…
_NOTE_STARTS = ("注", "备注", "说明", "数据来源", "资料来源", "来源", "source", "note")


def _names_region(header: Sequence[str]) -> bool:
    return any(_ROLE_OF.get(normalise_label(cell)) in ("code", "name") for cell in header)


def _header_first(loaded: tuple[list[str], pa.Table, Ragged]) -> bool:
    """Whether Arrow's reading is the table: its first line is a whole header naming a region."""
    header, cells, _ = loaded
    below = [cells[f"c{i + 1}"][0].as_py() for i in range(len(header))] if cells.num_rows else []
    return _names_region(header) and not (below and _year_row_under(header, below))


def _published_table(
    rows: Iterable[tuple[int, list[str]]], parsed: ParsedFile, catalogue: Catalogue
) -> list[tuple[int, list[str]]]:
    """The rows of a table as people publish it, header first: lines above the header (a portal
    export's 数据库/指标/时间 lines, a yearbook's title and 单位 line) give the file's indicator and unit
    and go to ``parsed.notes``, as do notes and source lines under the table (注：, 数据来源：); a second
    header row of years under merged indicator cells (指标 × 年份) makes one header of ``指标_年份``."""
    rows = list(rows)
    start = next((i for i, (_, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]) if _names_region(cells)), 0)
    for _, cells in rows[:start]:
        line = _line(cells)
        parsed.notes.append(line)
        meta = _META_LINE.fullmatch(normalise_label(line))
        if meta and meta.group(1) == "指标":
            name, unit = split_label_unit(meta.group(2))
            parsed.file_indicator = catalogue.parse(name) or parsed.file_indicator
            parsed.file_unit = unit or parsed.file_unit
        elif meta and meta.group(1) in ("单位", "计量单位"):
            parsed.file_unit = meta.group(2) or parsed.file_unit
        elif meta and _ROLE_OF.get(meta.group(1)) in ("vintage", "published_on") and meta.group(2):
            setattr(parsed, f"file_{_ROLE_OF[meta.group(1)]}", meta.group(2))
        elif parsed.file_indicator is None:
            title = normalise_label(line)
            parsed.file_indicator = next(
                (catalogue.aliases[a] for a in catalogue.title_names if a in title), parsed.file_indicator
            )
            unit = re.search(r"[(\[](?:单位[:：])?([^()\[\]]+)[)\]]$", title)
            parsed.file_unit = parsed.file_unit or (unit.group(1) if unit else None)
    table = rows[start:]
    if len(table) > 1 and _year_row_under(table[0][1], table[1][1]):
        (number, top), (_, years) = table[0], table[1]
        table = [(number, _combined_header(top, years)), *table[2:]]
    end = len(table)
    while end > 1 and _is_note(table[end - 1][1]):  # notes sit under the table
        end -= 1
    parsed.notes += [_line(cells) for _, cells in table[end:]]
    return table[:end]


def _line(cells: list[str]) -> str:
    """A row above or below a table as one line of text: its filled cells."""
    return " ".join(c.strip() for c in cells if c.strip())


def _is_note(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) == 1 and normalise_label(filled[0]).startswith(_NOTE_STARTS)


def _year_row_under(header: list[str], below: list[str]) -> bool:
    """A row of years under a header with empty (merged) cells: the second row of a 指标 × 年份 header."""
    filled = [i for i, c in enumerate(below) if c.strip()]
    years = [i for i in filled if _YEAR_HEADER.fullmatch(normalise_label(below[i]).removesuffix(".0"))]
    merged = any(i >= len(header) or not header[i].strip() for i in years)  # a year under a merged cell
    return len(years) >= 2 and years == filled and merged and _names_region(header)


def _combined_header(top: list[str], years: list[str]) -> list[str]:
    """``指标_年份`` under each merged indicator cell (carried right over the empty cells it spans)."""
    header, carried = [], ""
    for i in range(max(len(top), len(years))):
        cell = top[i].strip() if i < len(top) else ""
        year = normalise_label(years[i]).removesuffix(".0") if i < len(years) else ""
        carried = cell or carried
        year_match = _YEAR_HEADER.fullmatch(year)
        header.append(f"{carried}_{year_match.group(1)}" if year_match and carried else cell)
    return header


def _rows_table(rows: Iterable[tuple[int, list[str]]]) -> tuple[list[str], pa.Table, Ragged]:
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
    return list(header), cells, ragged


def _xlsx_rows(raw: RawFile) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw.data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise FileProblem(f"not an xlsx workbook: not a zip archive ({exc})") from exc
    if expanded > MAX_XLSX_EXPANDED_BYTES or expanded > MAX_XLSX_RATIO * max(len(raw.data), 1):
        raise FileProblem(
            f"xlsx workbook of {len(raw.data):,} bytes expands to {expanded:,} (a zip bomb?): more than "
            f"{MAX_XLSX_EXPANDED_BYTES:,} bytes or {MAX_XLSX_RATIO} times its size"
        )
    try:
        workbook = load_workbook(io.BytesIO(raw.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt archive
        raise FileProblem(f"unreadable xlsx workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else str(v) for v in values]
        if any(cell.strip() for cell in cells):
            yield number, cells


def _classify(header: list[str], parsed: ParsedFile, catalogue: Catalogue) -> list[Column]:
    columns: list[Column] = []
    for index, text in enumerate(header):
        label = normalise_label(text)
        if label in _ROLE_OF:
            columns.append(Column(index, text, role=_ROLE_OF[label]))
        elif year := _YEAR_HEADER.fullmatch(label):
            # a portal export's or a yearbook's year columns hold the indicator its 指标 or title line names
            columns.append(
                Column(index, text, year=int(year.group(1)), indicator=parsed.file_indicator, unit=parsed.file_unit)
            )
        elif (match := _INDICATOR_YEAR_HEADER.fullmatch(label)) and catalogue.parse(
            split_label_unit(match.group(1))[0]
        ):
            name, unit = split_label_unit(match.group(1))
            indicator = catalogue.parse(name)
            unit = unit or catalogue.default_unit(indicator)
            columns.append(Column(index, text, indicator=indicator, year=int(match.group(2)), unit=unit))
        elif indicator := catalogue.parse(split_label_unit(label)[0]):
            unit = split_label_unit(label)[1] or parsed.file_unit or catalogue.default_unit(indicator)
            columns.append(Column(index, text, indicator=indicator, unit=unit))
        else:
            parsed.ignored_columns.append(text)
    roles = {c.role for c in columns if c.role}
    if not roles & {"code", "name"}:
        raise FileProblem(
            f"no region column (code or name) among headers {header}, nor in a row of the first "
            f"{_HEADER_SEARCH_ROWS}: expected a header such as 地区, 城市, 行政区划代码, region_name or admin_code"
        )
    value_columns = [c for c in columns if c.role is None]
    if "value" in roles and "year" in roles and "indicator" in roles:
        parsed.layout = "long"
    elif value_columns and all(c.year is not None and c.indicator == parsed.file_indicator for c in value_columns):
        if "indicator" not in roles and parsed.file_indicator is None:
            raise FileProblem(
                "wide table with year columns but no indicator: no indicator column, and no 指标 line or "
                "title above the header names one"
            )
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


def _convert(
    cells: pa.Table, ragged: Ragged, columns: list[Column], width: int, parsed: ParsedFile, catalogue: Catalogue
) -> None:
    """Observations and quarantine entries of the rows in ``cells``, in row and column order."""
    role_index = {c.role: c.index for c in columns if c.role}  # the last column of a role wins
    values = [c for c in columns if c.role is None or (c.role == "value" and parsed.layout == "long")]
    rows = cells.num_rows
    source_rows = cells["source_row"].to_numpy()
    text = pa.string()

    @functools.cache
    def column(index: int) -> pa.Array:
        array = cells[f"c{index + 1}"]
        return array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()

    # The region and provenance a row names: once per distinct (code, name, province, source, …).
    present = [r for r in _REGION_ROLES if r in role_index]
    region_of, firsts = _groups([column(role_index[r]) for r in present], rows)
    keys = {r: column(role_index[r]).take(firsts).to_pylist() for r in present}
    file_level = {"vintage": parsed.file_vintage or "", "published_on": parsed.file_published_on or ""}
    regions = []
    for rkey in range(len(firsts)):
        role = {r: keys[r][rkey].strip() if r in keys else "" for r in _REGION_ROLES}
        role |= {r: role[r] or file_level[r] for r in file_level}
        problem = None
        for name, parse in (("code", _region_code), ("vintage", parse_vintage), ("published_on", parse_published_on)):
            try:
                role[name] = role[name] and parse(role[name])
            except ValueProblem as exc:
                problem, role[name] = problem or (name, role[name], str(exc)), ""
        if problem is None and not role["code"] and not role["name"]:
            problem = ("name", "", "row names no region (code and name empty)")
        regions.append((*(role[r] or None for r in _REGION_ROLES), *(problem or (None, None, None))))
    width_of_region = len(_REGION_ROLES)
    region = [
        pa.array(list(values_), text) for values_ in (list(zip(*regions, strict=True)) or [()] * (width_of_region + 3))
    ]
    region_ok = np.array([r[-1] is None for r in regions], dtype=bool)

    # What a value column means in a row: once per distinct (indicator, unit, year) and column.
    present = [r for r in _FIGURE_ROLES if r in role_index]
    figure_of, firsts = _groups([column(role_index[r]) for r in present], rows)
    keys = {r: column(role_index[r]).take(firsts).to_pylist() for r in present}
    contexts = [
        (
            value_column.header,
            context(value_column, *(keys[r][fkey].strip() if r in keys else "" for r in _FIGURE_ROLES), catalogue),
        )
        for fkey in range(len(firsts))
        for value_column in values
    ]
    before = [x.before_number for _, x in contexts]
    after = [x.after_number for _, x in contexts]

    # The value cells, a block of rows at a time in two threads.
    step = max(1, BLOCK_CELLS // len(values))
    read = functools.partial(
        _read_cells,
        value_columns=[column(c.index) for c in values],
        row_ok=region_ok[region_of],
        context_of_row=figure_of * len(values),
        exponent=np.array([0 if x.exponent is None else x.exponent for _, x in contexts], dtype=np.int64),
        fine=np.array([b is None and a is None for b, a in zip(before, after, strict=True)], dtype=bool),
        reading=functools.cache(_read_value),  # shared: a text is read once
        step=step,
    )
    with ThreadPoolExecutor(2) as pool:
        blocks = list(pool.map(read, range(0, max(rows, 1), step)))
    parsed.empty_cells = sum(b.empty_cells for b in blocks)

    # The strings of a figure are entries of its region's and its context's: dictionary-encoded.
    figure_row = np.concatenate([b.figure_row for b in blocks])
    figure_context = np.concatenate([b.figure_context for b in blocks])
    region_at = pa.array(region_of[figure_row].astype(np.int32))
    context_at = pa.array(figure_context.astype(np.int32))

    def of_contexts(texts: list[str | None]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(context_at, pa.array(texts, text))

    years = np.array([0 if x.year is None else x.year for _, x in contexts], dtype=np.int32)
    parsed.observation_table = pa.table(
        [
            pa.array(source_rows.astype(np.int32)[figure_row]),
            *(pa.DictionaryArray.from_arrays(region_at, array) for array in region[:width_of_region]),
            pa.array(years[figure_context]),
            of_contexts([x.indicator for _, x in contexts]),
            pa.array(np.concatenate([b.value for b in blocks])),
            of_contexts([x.base_unit for _, x in contexts]),
            pa.concat_arrays([b.original_value for b in blocks]),
            of_contexts([x.unit for _, x in contexts]),
        ],
        schema=OBSERVATION_SCHEMA,
    )

    # Quarantine: rows longer than the header, rows naming no usable region, cells that are no figure.
    quarantine = [
        pa.table(
            {
                "source_row": pa.array([r[0] for r in ragged], pa.int64()),
                "position": pa.array([0] * len(ragged), pa.int64()),
                "column_name": pa.nulls(len(ragged), text),
                "raw_value": pa.array([r[1] for r in ragged], text),
                "reason": pa.array([r[2] for r in ragged], text),
            }
        )
    ]
    bad_rows = np.flatnonzero(~region_ok[region_of])
    if len(bad_rows):
        # a blank row names no region but is no problem either
        column_of, value_of, reason_of = region[width_of_region:]
        named = pc.equal(column_of.take(region_of[bad_rows]), "name").to_numpy(zero_copy_only=False)
        blank = np.ones(len(bad_rows), dtype=bool)
        for i in range(width):
            trimmed = pc.utf8_trim(column(i).take(bad_rows), WHITESPACE)
            blank &= pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
        bad_rows = bad_rows[~(named & blank)]
        at = region_of[bad_rows]
        quarantine.append(
            pa.table(
                {
                    "source_row": pa.array(source_rows[bad_rows]),
                    "position": pa.array(np.zeros(len(bad_rows), dtype=np.int64)),
                    "column_name": column_of.take(at),
                    "raw_value": value_of.take(at),
                    "reason": reason_of.take(at),
                }
            )
        )
    if "boundary" in role_index:
        boundary = next(c for c in columns if c.role == "boundary")
        rows_ok = region_ok[region_of]
        parsed.boundary_table, problems = _boundaries(
            column(boundary.index), boundary.header, rows_ok, region_of, region, source_rows
        )
        quarantine.append(problems)
    # a cell's problem: the one found before its value is read, else its value's, else the one after
    problem_context = np.concatenate([b.problem_context for b in blocks])
    problem_at = pa.array(problem_context)
    quarantine.append(
        pa.table(
            {
                "source_row": pa.array(source_rows[np.concatenate([b.problem_row for b in blocks])]),
                "position": pa.array(problem_context % len(values) + 1),
                "column_name": pa.array([header for header, _ in contexts], text).take(problem_at),
                "raw_value": pa.concat_arrays([b.raw_value for b in blocks]),
                "reason": pc.coalesce(
                    pa.array(before, text).take(problem_at),
                    pa.concat_arrays([b.value_problem for b in blocks]),
                    pa.array(after, text).take(problem_at),
                ),
            }
        )
    )
    table = pa.concat_tables(quarantine)
    if table.num_rows:
        table = table.sort_by([("source_row", "ascending"), ("position", "ascending")])
    parsed.quarantine_table = table.drop_columns(["position"]).cast(QUARANTINE_SCHEMA)


def _boundaries(
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


class _Cells(NamedTuple):
    """What the value cells of a block of rows hold: figures and problems, in row and column order."""

    empty_cells: int
    figure_row: np.ndarray
    figure_context: np.ndarray
    value: np.ndarray
    original_value: pa.Array
    problem_row: np.ndarray
    problem_context: np.ndarray
    raw_value: pa.Array
    value_problem: pa.Array  # null where the value was read


def _read_cells(
    start: int,
    *,
    value_columns: list[pa.Array],
    row_ok: np.ndarray,
    context_of_row: np.ndarray,
    exponent: np.ndarray,
    fine: np.ndarray,
    reading,
    step: int,
) -> _Cells:
    """The value cells of rows ``start`` to ``start + step``: in a row whose region is usable, a cell
    is empty, a figure or a problem. ``context_of_row`` is the context of a row's first value column
    (its next columns' follow it); ``fine`` says which contexts have no problem."""
    stop = min(start + step, len(row_ok))
    rows, width = stop - start, len(value_columns)
    text = pa.string()
    # A column's cells after the other's (cell i is in row i % rows of value column i // rows):
    # nothing is copied to put them in row order but the figures and problems kept.
    if width == 1:
        cell = value_columns[0].slice(start, rows)
    else:
        cell = pa.concat_arrays([array.slice(start, rows) for array in value_columns])
    context_of = (context_of_row[None, start:stop] + np.arange(width)[:, None]).ravel()
    ok = np.tile(row_ok[start:stop], width)

    # A value of at most 15 plain decimal digits: scaled here by one exact IEEE operation.
    lengths = pc.binary_length(cell).to_numpy(zero_copy_only=False)
    empty = lengths == 0
    plain = pc.match_substring_regex(cell, f"^{_PLAIN_NUMBER}$").to_numpy(zero_copy_only=False)
    plain_at = np.flatnonzero(plain)
    plain_cells = cell.take(plain_at)
    number = pc.cast(plain_cells, pa.float64()).to_numpy(zero_copy_only=False)  # -0 is -0.0
    point = pc.find_substring(plain_cells, ".").to_numpy(zero_copy_only=False)
    plain_lengths = lengths[plain_at]
    decimals = np.where(point >= 0, plain_lengths - point - 1, 0)
    fits = plain_lengths - (point >= 0) - np.signbit(number) <= 15
    shift = exponent[context_of[plain_at]] - decimals
    fits &= np.abs(shift) < len(_POWERS)
    if not fits.all():  # more than 15 digits or an exponent beyond exact powers of ten: Python's rules
        plain[plain_at[~fits]] = False
        plain_at, number, decimals, shift = plain_at[fits], number[fits], decimals[fits], shift[fits]
    # The digits with their sign, an exact double: the text read as a double is within a quarter of
    # them once scaled back (they are at most 15), so rounding gives them exactly.
    digits = np.rint(number * _POWERS[decimals])
    scale = _POWERS[np.abs(shift)]
    value = np.full(len(cell), np.nan)
    value[plain_at] = np.where(shift >= 0, digits * scale, digits / scale)

    # Any other value (full-width digits, separators, 1e5, words): Python's rules, once per distinct
    # text and unit exponent. Its original value is its text stripped, the pair's entry in ``texts``.
    kind = np.full(len(cell), _NOT_A_NUMBER, dtype=np.int8)
    kind[empty] = _EMPTY
    kind[plain_at] = _PLAIN
    other_at = np.flatnonzero(~empty & ~plain & ok)
    texts, text_of, problems = cell, None, pa.nulls(0, text)
    if len(other_at):
        others = cell.take(other_at)
        distinct = pc.unique(others)
        distinct_of = pc.index_in(others, distinct).to_numpy(zero_copy_only=False).astype(np.int64)
        exponents = exponent[context_of[other_at]]
        pair_of, pair_firsts = _groups([pa.array(distinct_of), pa.array(exponents)], len(other_at))
        results = [reading(distinct[distinct_of[first]].as_py(), int(exponents[first])) for first in pair_firsts]
        stripped, kinds, pair_problems, numbers = zip(*results, strict=True)
        kind[other_at] = np.array(kinds, dtype=np.int8)[pair_of]
        value[other_at] = np.array(numbers, dtype=np.float64)[pair_of]
        texts = pa.concat_arrays([cell, pa.array(stripped, text)])
        text_of = np.arange(len(cell), dtype=np.int64)
        text_of[other_at] = len(cell) + pair_of
        problems = pa.array(pair_problems, text)

    def in_row_order(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells of ``mask`` in row and column order: their places in ``cell`` and their rows."""
        if width == 1:
            at = np.flatnonzero(mask)
            return at, at
        row, position = np.divmod(np.flatnonzero(mask.reshape(width, rows).T), width)
        return position * rows + row, row

    def original(at: np.ndarray) -> pa.Array:
        return texts.take(at if text_of is None else text_of[at])

    usable = ok & (kind != _EMPTY)
    figure_cell = fine[context_of] & (kind != _NOT_A_NUMBER)  # a usable cell with no problem
    figure, figure_row = in_row_order(usable & figure_cell)
    problem, problem_row = in_row_order(usable & ~figure_cell)
    if text_of is None:
        value_problem = pa.nulls(len(problem), text)
    else:
        pair = text_of[problem] - len(cell)
        value_problem = problems.take(pa.array(np.maximum(pair, 0), mask=pair < 0))
    return _Cells(
        empty_cells=int(np.count_nonzero(ok) - np.count_nonzero(usable)),
        figure_row=start + figure_row,
        figure_context=context_of[figure],
        value=value[figure],
        original_value=original(figure),
        problem_row=start + problem_row,
        problem_context=context_of[problem],
        raw_value=original(problem),
        value_problem=value_problem,
    )


def _read_value(raw_text: str, power: int) -> tuple[str, int, str | None, float]:
    """(original value, kind, problem, number in base units) of a value that is not plain digits."""
    stripped = raw_text.strip()
    if normalise_label(stripped) in EMPTY_CELLS:
        return stripped, _EMPTY, None, np.nan
    try:
        return stripped, _NUMBER, None, float(parse_number(stripped) * Decimal(10) ** power)
    except ValueProblem as exc:
        return stripped, _NOT_A_NUMBER, str(exc), np.nan


def _groups(arrays: list[pa.Array], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The group of every row by the values of these arrays (numbered by first appearance) and the
    first row of every group."""
    if rows > 1 and arrays and _run_heads([array[:4096] for array in arrays]) is not None:
        # Tables list a region's rows together: group the first row of every run of equal keys.
        head = _run_heads(arrays)
        if head is not None:
            heads = np.flatnonzero(head)
            run_group, run_firsts = _hash_groups([array.take(heads) for array in arrays], len(heads))
            return run_group[np.cumsum(head) - 1], heads[run_firsts]
    return _hash_groups(arrays, rows)


def _run_heads(arrays: list[pa.Array]) -> np.ndarray | None:
    """Which rows start a run of equal keys; None if more than a quarter do."""
    rows = len(arrays[0])
    head = np.zeros(rows, dtype=bool)
    head[0] = True
    for array in arrays:
        head[1:] |= pc.not_equal(array[1:], array[:-1]).to_numpy(zero_copy_only=False)
        if np.count_nonzero(head) * 4 > rows:
            return None
    return head


def _hash_groups(arrays: list[pa.Array], rows: int) -> tuple[np.ndarray, np.ndarray]:
    group = np.zeros(rows, dtype=np.int64)
    for i, array in enumerate(arrays):
        encoded = pc.dictionary_encode(array)
        index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if i == 0:
            group = index
        else:
            group = pc.dictionary_encode(pa.array(group * len(encoded.dictionary) + index)).indices
            group = group.to_numpy(zero_copy_only=False).astype(np.int64)
    if rows == 0:
        return group, np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(group)  # a group's number is one more than any before its first row
    new = np.empty(rows, dtype=bool)
    new[0] = True
    np.not_equal(seen[1:], seen[:-1], out=new[1:])
    return group, np.flatnonzero(new)


def context(column: Column, indicator_text: str, unit_text: str, year_text: str, catalogue: Catalogue) -> Context:
    """What the cells of ``column`` mean in a row whose indicator, unit and year cells hold these texts."""
    indicator = column.indicator
    unit = column.unit or unit_text or None
    if indicator is None:
        name, unit_in_label = split_label_unit(normalise_label(indicator_text))
        indicator = catalogue.parse(name)
        unit = unit or unit_in_label
        if indicator is None:
            return Context(before_number=catalogue.unknown(indicator_text))
    unit = unit or catalogue.default_unit(indicator)
    if not unit:
        return Context(before_number=f"no unit for indicator {indicator}")
    try:
        year = column.year if column.year is not None else _year(year_text)
    except ValueProblem as exc:
        return Context(before_number=str(exc))
    try:
        base, factor = catalogue.base_unit_of(unit, indicator)
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
