"""Read-only SQL on the published warehouse: which statements are allowed, and writing rows out."""

from __future__ import annotations

import csv
import io
import json

import duckdb

READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA"}
OUTPUT_FORMATS = ("table", "csv", "json", "markdown", "parquet")


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


def format_rows(columns: list[str], rows: list[tuple], output_format: str) -> str:
    """Rows as CSV (with header), JSON (an array of objects) or Markdown (a pipe table)."""
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue()
    if output_format == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return json.dumps(records, ensure_ascii=False, indent=1, default=str) + "\n"
    if output_format == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {output_format!r}")
