"""Loading a file's cells: a header and a table of text cells (source_row, c1 … cN) with the rows longer
than the header set aside.

A plain CSV (no quote character, no NUL, no lone carriage return) is split by Arrow's CSV reader, one
record a line, so that its record numbers are those of Python's ``csv`` module; a row shorter than the
header is padded and a longer one cut or set aside, as Python's splitter does. UTF-8 bytes go to Arrow
as they are (Arrow checks them, accepting what Python's strict decoder accepts), other encodings once
decoded and re-encoded. Any other CSV and an XLSX workbook are split in Python, and a table whose first
line is not its header goes through ``layout.published_table``.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
import zipfile
from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from orchestration.raw_files.decoding import RawFile, content_refusal, decode
from orchestration.statistics.layout import header_first, published_table
from orchestration.statistics.schema import FileProblem, ParsedFile, Ragged
from orchestration.statistics.units import Catalogue

# The census file carries polygon WKT in one column: far beyond csv's 128 KiB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

TABLE_SUFFIXES = (".csv", ".xlsx")
# Past these a workbook is no statistical table a person publishes but a mistake or an attack: refused.
MAX_XLSX_EXPANDED_BYTES = 256 << 20  # what the workbook's parts hold once unzipped
MAX_XLSX_RATIO = 200  # unzipped : zipped; spreadsheets compress about 5-20 to 1


def load_cells(raw: RawFile, parsed: ParsedFile, catalogue: Catalogue) -> tuple[list[str], pa.Table, Ragged]:
    """The header, the table (source_row, c1 … cN as text, never null) of the rows after it and the rows
    longer than the header."""
    suffix = raw.path.suffix.lower()
    if suffix == ".xlsx":
        parsed.encoding = "xlsx"
        return _rows_table(published_table(_xlsx_rows(raw), parsed, catalogue))
    if suffix != ".csv":
        raise FileProblem(f"unsupported table format {suffix!r}; expected one of {TABLE_SUFFIXES}")
    refused = content_refusal(raw.data)
    if refused is not None:
        raise FileProblem(refused)
    # Plain UTF-8, the usual case: the bytes go to Arrow's reader as they are, never decoded in Python.
    # A table whose first line is not its header (a portal export, a yearbook page) is read in Python.
    encoding, body = _utf8(raw.data)
    if encoding is not None and _plain_csv(body) and (loaded := _arrow_cells(body)) and header_first(loaded):
        parsed.encoding = encoding
        return loaded
    text, parsed.encoding = decode(raw.data)
    if not text.strip():
        raise FileProblem("empty file")
    if parsed.encoding not in ("utf-8", "utf-8-sig"):
        utf8 = text.encode("utf-8")
        if _plain_csv(utf8) and (loaded := _arrow_cells(utf8)) is not None and header_first(loaded):
            return loaded
    rows = (
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        if any(cell.strip() for cell in row)
    )
    return _rows_table(published_table(rows, parsed, catalogue))


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
