"""Publish the marts the dbt build wrote as a closed, checkpointed serving file and Parquet, atomically."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.quality import history
from orchestration.serving.query import connect_reader

SERVING_SCHEMA = "marts"
HISTORY_MART = "mart_quality_history"
# in a Parquet file's key-value metadata: a fingerprint of its rows, so an unchanged mart is not rewritten
CONTENT_KEY = "warehouse_content"


@dataclass(frozen=True)
class MartDescription:
    """What a published table is and what each of its columns holds: its comments in serving.duckdb."""

    table: str
    columns: Mapping[str, str]


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    row_counts: dict[str, int]
    parquet_written: list[str]  # the marts whose Parquet file changed


def publish_atomically(build: Callable[[Path], None], target: Path) -> None:
    """Build ``target`` under a temporary name beside it, then rename it over the old file.

    The rename is atomic, so readers see either the old file or the new one, never a half-written
    one; a failure leaves the old file untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        build(tmp)
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            raise RuntimeError(f"{wal} remains after close: the copy was not checkpointed")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed publish left behind (``.<name>.<hex>.tmp[.wal]``, Parquet staging)."""
    stale = [p for p in folder.glob(".*.tmp*") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    for leftover in (folder / "parquet").glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return stale


def served_history(serving_path: Path) -> tuple[pd.DataFrame | None, datetime | None]:
    """The quality history the served file holds, and when it was published (None, None before the first
    publication)."""
    if not serving_path.is_file():
        return None, None
    conn = connect_reader(serving_path)
    try:
        tables = {
            row[0] for row in conn.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
        }
        rows = (
            conn.sql(f"select * from {SERVING_SCHEMA}.{HISTORY_MART}").df()
            if f"{SERVING_SCHEMA}.{HISTORY_MART}" in tables
            else None
        )
        published = (
            conn.execute("select max(published_at) from meta.publication").fetchall()[0][0]
            if "meta.publication" in tables
            else None
        )
    finally:
        conn.close()
    return rows, published


def publish_marts(
    marts: Mapping[str, str],
    serving_path: Path,
    parquet_dir: Path,
    refresh_id: str,
    quality_history: pd.DataFrame,
    mart_inputs: Mapping[str, set[str]],
    inputs_changed_at: Mapping[str, datetime],
    attach: Path | None = None,
    pause_before_replace: float = 0,
    limits: Mapping[str, str] | None = None,
    descriptions: Mapping[str, MartDescription] | None = None,
) -> Publication:
    """Publish ``marts`` (name -> a relation to read it from, such as ``build.marts.dim_city`` with the
    build database attached as ``build`` from ``attach``) and ``mart_quality_history`` (the rows of
    ``quality.history``) as a new serving file, schema ``marts``, and one Parquet file per mart.

    ``meta.publication`` gets one row per mart: its row count, when it was published, the kinds of raw
    input it is built from (``mart_inputs``) and when any of those inputs last changed
    (``inputs_changed_at``, per kind). A mart's Parquet file is rewritten only when its rows changed
    (a fingerprint of them is kept in the file's metadata). ``limits`` are DuckDB settings for the
    copy (memory_limit, max_temp_directory_size, temp_directory). ``descriptions`` (the dbt docs) become
    each mart's table and column comments, which BI tools and ``duckdb_columns()`` show."""
    if not marts:
        raise RuntimeError("the build has no marts: nothing to publish")
    published_at = datetime.now(UTC)
    staging = parquet_dir / f".staging-{uuid.uuid4().hex}"
    row_counts: dict[str, int] = {}
    written: list[str] = []

    def build(tmp: Path) -> None:
        conn = duckdb.connect(str(tmp), config=dict(limits or {}))
        try:
            if attach is not None:
                conn.execute(f"attach '{attach}' as build (read_only)")
            conn.execute(f"create schema {SERVING_SCHEMA}")
            conn.execute("create schema meta")
            for mart, relation in sorted(marts.items()):
                conn.execute(f"create table {SERVING_SCHEMA}.{mart} as select * from {relation}")
                if descriptions and mart in descriptions:
                    _comment(conn, mart, descriptions[mart])
            _write_history(conn, quality_history)
            if attach is not None:
                conn.execute("detach build")
            for mart in [*sorted(marts), HISTORY_MART]:
                row_counts[mart] = conn.execute(f"select count(*) from {SERVING_SCHEMA}.{mart}").fetchall()[0][0]
            inputs = {mart: sorted(mart_inputs.get(mart, set())) for mart in row_counts}
            conn.execute(
                "create table meta.publication as select ?::varchar as refresh_id, ?::timestamptz as published_at, "
                "unnest(?::varchar[]) as mart, unnest(?::bigint[]) as row_count, unnest(?::varchar[]) as inputs, "
                "unnest(?::timestamptz[]) as inputs_last_changed_at",
                [
                    refresh_id,
                    published_at,
                    list(row_counts),
                    list(row_counts.values()),
                    [", ".join(inputs[mart]) for mart in row_counts],
                    [
                        max((inputs_changed_at[k] for k in inputs[mart] if k in inputs_changed_at), default=None)
                        for mart in row_counts
                    ],
                ],
            )
            staging.mkdir(parents=True, exist_ok=True)
            for mart in row_counts:
                fingerprint = conn.execute(
                    f"select count(*) || ':' || coalesce(sum(hash(m)), 0) from {SERVING_SCHEMA}.{mart} as m"
                ).fetchall()[0][0]
                if _parquet_fingerprint(conn, parquet_dir / f"{mart}.parquet") != fingerprint:
                    conn.execute(
                        f"copy {SERVING_SCHEMA}.{mart} to '{staging / f'{mart}.parquet'}' "
                        f"(format parquet, kv_metadata {{{CONTENT_KEY}: '{fingerprint}'}})"
                    ).fetchall()
                    written.append(mart)
            conn.execute("checkpoint")
        finally:
            conn.close()
        if pause_before_replace:
            time.sleep(pause_before_replace)  # fault injection: the crash tests kill the run here

    try:
        publish_atomically(build, serving_path)
        for mart in written:
            os.replace(staging / f"{mart}.parquet", parquet_dir / f"{mart}.parquet")
        for old in parquet_dir.glob("*.parquet"):
            if old.stem not in row_counts:
                old.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Publication(published_at=published_at, row_counts=row_counts, parquet_written=written)


def _write_history(conn: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> None:
    """``marts.mart_quality_history``, typed and described (table and column comments)."""
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in history.COLUMNS.items())
    conn.execute(f"create table {SERVING_SCHEMA}.{HISTORY_MART} ({columns})")
    if len(rows):
        conn.register("_history", rows)
        conn.execute(f"insert into {SERVING_SCHEMA}.{HISTORY_MART} by name select * from _history")
        conn.unregister("_history")
    columns = {name: description for name, (_, description) in history.COLUMNS.items()}
    _comment(conn, HISTORY_MART, MartDescription(history.DESCRIPTION, columns))


def _comment(conn: duckdb.DuckDBPyConnection, mart: str, description: MartDescription) -> None:
    """The table's comment and those of its columns that the description names."""
    conn.execute(f"comment on table {SERVING_SCHEMA}.{mart} is {_literal(description.table)}")
    present = {row[0] for row in conn.execute(f"describe {SERVING_SCHEMA}.{mart}").fetchall()}
    for name, text in description.columns.items():
        if name in present and text:
            conn.execute(f"comment on column {SERVING_SCHEMA}.{mart}.{name} is {_literal(text)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parquet_fingerprint(conn: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        rows = conn.execute(
            "select decode(value) from parquet_kv_metadata(?) where decode(key) = ?", [str(path), CONTENT_KEY]
        ).fetchall()
    except duckdb.Error:  # a damaged file: written afresh
        return None
    return rows[0][0] if rows else None
