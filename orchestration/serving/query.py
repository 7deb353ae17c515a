"""Read-only SQL on the published warehouse: how readers connect, which statements are allowed, and
writing rows out."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import duckdb
from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table

READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}
OUTPUT_FORMATS = ("table", "csv", "json", "markdown", "parquet")
# What every reader of the published file gets: the file read-only, no access to other files, URLs or
# extensions (read_text, read_csv, glob, ATTACH, COPY, INSTALL fail), and settings SQL cannot change back.
READER_CONFIG = {"access_mode": "read_only", "enable_external_access": "false", "lock_configuration": "true"}
# Spreadsheets run a cell that starts with one of these as a formula: CSV output quotes it with a '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def connect_reader(serving_path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the published warehouse as READER_CONFIG locks it; close it to see a later publish."""
    return duckdb.connect(str(serving_path), config=dict(READER_CONFIG))


def sqlalchemy_url(serving_path: Path) -> str:
    """What BI tools connect with (duckdb-engine passes the URL's parameters to DuckDB as READER_CONFIG)."""
    return f"duckdb:///{serving_path}?{urlencode(READER_CONFIG)}"


class RefusedStatement(ValueError):
    """SQL that is not a read."""


def check_read_only(sql: str) -> None:
    """Raise RefusedStatement unless every statement of ``sql`` only reads (SELECT with WITH, DESCRIBE,
    SHOW and SUMMARIZE, EXPLAIN, PRAGMA); duckdb.Error when it does not parse."""
    kinds = [statement.type.name for statement in duckdb.extract_statements(sql)]
    refused = sorted(set(kinds) - READ_ONLY_STATEMENTS)
    if refused:
        raise RefusedStatement(
            f"warehouse query is read-only: {', '.join(refused)} statements are refused. "
            "The warehouse changes only through a refresh."
        )


def cells(row: tuple) -> list[str]:
    return ["" if v is None else str(v) for v in row]


def on_screen(
    console: Console, columns: list[str], rows: list[tuple], title: str | None = None, no_wrap: Iterable[str] = ()
) -> RenderableType:
    """``rows`` as a table when it fits the console with every figure whole (numbers and the columns in
    ``no_wrap`` are never cut, texts wrap), else one block per record, a line per column (as psql's
    ``\\x auto``): never a digit string cut, never a column squeezed to nothing."""
    numeric = [
        all(isinstance(row[i], (int, float, Decimal)) for row in rows if row[i] is not None)
        for i in range(len(columns))
    ]
    table = Table(title=title)
    for column, is_number in zip(columns, numeric, strict=True):
        table.add_column(column, justify="right" if is_number else "left", no_wrap=is_number or column in no_wrap)
    for row in rows:
        table.add_row(*cells(row))
    # measured unbounded: a measure within the console's width is clamped to it
    if Measurement.get(console, console.options.update_width(10**6), table).minimum <= console.width:
        return table
    blocks = [] if title is None else [title]
    for number, row in enumerate(rows, start=1):
        record = Table(
            title=f"record {number} of {len(rows)}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_header=False,
            show_edge=False,
        )
        record.add_column(style="bold", no_wrap=True)
        record.add_column(overflow="fold")
        for column, value in zip(columns, cells(row), strict=True):
            record.add_row(column, value)
        blocks.append(record)
    return Group(*blocks) if rows else table


def spreadsheet_safe(value):
    """``value``, or a text that a spreadsheet would run as a formula with a ' before it (OWASP's advice
    for CSV files); numbers are never changed."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def format_rows(columns: list[str], rows: list[tuple], output_format: str) -> str:
    """Rows as CSV (with header; texts a spreadsheet would run as formulas quoted), JSON (an array of
    objects) or Markdown (a pipe table)."""
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([spreadsheet_safe(c) for c in columns])
        writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
        return buffer.getvalue()
    if output_format == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return json.dumps(records, ensure_ascii=False, indent=1, default=str) + "\n"
    if output_format == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {output_format!r}")
