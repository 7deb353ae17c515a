"""Small DuckDB helpers shared by the ingest assets, and the lock that keeps one writer at a time."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

Rows = pd.DataFrame | pa.Table | list[Path] | None  # a frame, an Arrow table, or Parquet files of the table's rows


def replace_table(conn: duckdb.DuckDBPyConnection, table: str, ddl_columns: str, rows: Rows) -> int:
    """Replace ``table`` (``schema.name``) with ``rows``, typed by ``ddl_columns``; return its row count.

    The DDL is explicit so an empty frame still yields a table with the right columns and types, and
    dbt sources always exist.
    """
    schema = table.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(f"create or replace table {table} ({ddl_columns})")
    insert_rows(conn, table, ddl_columns, rows)
    return conn.execute(f"select count(*) from {table}").fetchall()[0][0]  # fetched to the end: the connection is free


def insert_rows(conn: duckdb.DuckDBPyConnection, table: str, ddl_columns: str, rows: Rows) -> None:
    """Insert ``rows`` into ``table``, column by column as the DDL names them; Parquet files are read by
    DuckDB as it inserts, never held in Python."""
    if rows is None or len(rows) == 0:
        return
    columns = ", ".join(_column_names(ddl_columns))
    if isinstance(rows, list):
        conn.execute(
            f"insert into {table} ({columns}) select {columns} from read_parquet(?, union_by_name = true)",
            [[str(path) for path in rows]],
        )
        return
    conn.register("_incoming", rows)
    try:
        conn.execute(f"insert into {table} ({columns}) select {columns} from _incoming")
    finally:
        conn.unregister("_incoming")


def _column_names(ddl_columns: str) -> Sequence[str]:
    return [part.strip().split()[0] for part in ddl_columns.split(",") if part.strip()]


@contextmanager
def exclusive_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (waiting for it, after calling ``on_wait``, when another
    process holds it). The kernel drops it when the process dies, so a killed holder leaves nothing
    to clean up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
