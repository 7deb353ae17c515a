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

The steps live beside this module: ``loading`` (a file's cells), ``layout`` (its header and layout),
``conversion`` with ``value_cells`` and ``grouping`` (figures in base units), ``boundaries`` (WKT
polygons), all speaking ``schema``.
"""

from __future__ import annotations

import pyarrow as pa

from orchestration.raw_files.decoding import DecodeError, RawFile
from orchestration.statistics.conversion import convert
from orchestration.statistics.layout import classify
from orchestration.statistics.loading import load_cells
from orchestration.statistics.schema import QUARANTINE_SCHEMA, FileProblem, ParsedFile
from orchestration.statistics.units import Catalogue

# Past this a file is no statistical table a person publishes but a mistake or an attack: refused.
MAX_COLUMNS = 1000


def parse_statistics_file(raw: RawFile, catalogue: Catalogue) -> ParsedFile:
    """The figures and quarantine entries of one file, its indicators named as ``catalogue`` knows them."""
    parsed = ParsedFile()
    try:
        header, cells, ragged = load_cells(raw, parsed, catalogue)
        if len(header) > MAX_COLUMNS:
            raise FileProblem(f"{len(header):,} columns: more than the {MAX_COLUMNS:,} a statistics table may have")
        columns = classify(header, parsed, catalogue)
        convert(cells, ragged, columns, len(header), parsed, catalogue)
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


def _problem(row: int | None, column: str | None, value: str | None, reason: str) -> dict:
    return {"source_row": row, "column_name": column, "raw_value": value, "reason": reason}
