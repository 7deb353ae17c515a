"""Small DuckDB helpers shared by the ingest assets."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, ddl_columns: str, frame: pd.DataFrame | None) -> int:
    """Replace ``table`` (``schema.name``) with ``frame``, typed by ``ddl_columns``; return its row count.

    The DDL is explicit so an empty frame still yields a table with the right columns and types, and
    dbt sources always exist.
    """
    schema = table.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(f"create or replace table {table} ({ddl_columns})")
    if frame is not None and len(frame):
        conn.register("_incoming", frame)
        try:
            columns = _column_names(ddl_columns)
            conn.execute(f"insert into {table} ({', '.join(columns)}) select {', '.join(columns)} from _incoming")
        finally:
            conn.unregister("_incoming")
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def _column_names(ddl_columns: str) -> Sequence[str]:
    return [part.strip().split()[0] for part in ddl_columns.split(",") if part.strip()]
