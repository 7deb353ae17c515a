"""Publish the marts of the build database as a closed, checkpointed serving file, atomically."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SERVING_SCHEMA = "marts"


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    row_counts: dict[str, int]
    parquet_files: list[Path]


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
    """Delete temporary files a killed publish left behind (``.<name>.<hex>.tmp[.wal]``)."""
    stale = [p for p in folder.glob(".*.tmp*") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def publish_marts(
    build_db: Path,
    serving_path: Path,
    parquet_dir: Path,
    refresh_id: str,
    mart_inputs: dict[str, set[str]] | None = None,
    pause_before_replace: float = 0,
) -> Publication:
    """Copy every table of the build database's ``marts`` schema into a new serving file and Parquet.

    ``meta.publication`` gets one row per mart: its row count, when it was published, the kinds of raw
    input it is built from (``mart_inputs``) and when any of those inputs last changed."""
    published_at = datetime.now(UTC)
    staging_dir = parquet_dir / f".staging-{uuid.uuid4().hex}"
    row_counts: dict[str, int] = {}

    def build(tmp: Path) -> None:
        conn = duckdb.connect(str(tmp))
        try:
            conn.execute(f"attach '{build_db}' as build (read_only)")
            tables = [
                row[0]
                for row in conn.execute(
                    "select table_name from duckdb_tables() where database_name = 'build' "
                    "and schema_name = ? order by table_name",
                    [SERVING_SCHEMA],
                ).fetchall()
            ]
            if not tables:
                raise RuntimeError(f"{build_db} has no tables in schema {SERVING_SCHEMA}: nothing to publish")
            conn.execute(f"create schema {SERVING_SCHEMA}")
            for table in tables:
                conn.execute(f"create table {SERVING_SCHEMA}.{table} as select * from build.{SERVING_SCHEMA}.{table}")
                row_counts[table] = conn.execute(f"select count(*) from {SERVING_SCHEMA}.{table}").fetchone()[0]
            changed = (
                dict(
                    conn.execute(
                        "select source_kind, max(changed_at) from build.raw.file_manifest group by source_kind"
                    ).fetchall()
                )
                if _has_manifest(conn)
                else {}
            )
            conn.execute("detach build")
            conn.execute("create schema meta")
            inputs = {table: sorted((mart_inputs or {}).get(table, set())) for table in row_counts}
            last_changed = {
                table: max((changed[kind] for kind in kinds if kind in changed), default=None)
                for table, kinds in inputs.items()
            }
            conn.execute(
                "create table meta.publication as select ?::varchar as refresh_id, ?::timestamptz as published_at, "
                "unnest(?::varchar[]) as mart, unnest(?::bigint[]) as row_count, unnest(?::varchar[]) as inputs, "
                "unnest(?::timestamptz[]) as inputs_last_changed_at",
                [
                    refresh_id,
                    published_at,
                    list(row_counts),
                    list(row_counts.values()),
                    [", ".join(inputs[t]) for t in row_counts],
                    [last_changed[t] for t in row_counts],
                ],
            )
            staging_dir.mkdir(parents=True, exist_ok=True)
            for table in tables:
                conn.execute(
                    f"copy {SERVING_SCHEMA}.{table} to '{staging_dir / (table + '.parquet')}' (format parquet)"
                )
            conn.execute("checkpoint")
        finally:
            conn.close()
        if pause_before_replace:
            time.sleep(pause_before_replace)  # fault injection: the crash tests kill the run here

    for leftover in parquet_dir.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # left by a publish that was killed
    try:
        publish_atomically(build, serving_path)
        published = []
        for table in row_counts:
            target = parquet_dir / f"{table}.parquet"
            os.replace(staging_dir / f"{table}.parquet", target)
            published.append(target)
        for old in parquet_dir.glob("*.parquet"):
            if old not in published:
                old.unlink()
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    return Publication(published_at=published_at, row_counts=row_counts, parquet_files=published)


def _has_manifest(conn: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where database_name = 'build' and schema_name = 'raw' "
            "and table_name = 'file_manifest'"
        ).fetchall()
    )
