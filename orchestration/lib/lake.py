"""The lake: the ingest assets' tables as Parquet, the one copy the dbt sources read on every target.

Layout: ``<lake>/<source>/<table>/data.parquet`` with source ``statistics``, ``documents``, ``reference``
or ``quality`` (dbt_project/models/staging/_raw__sources.yml names each folder). DuckDB reads a table as
``read_parquet('<folder>/*.parquet')`` and Spark as ``parquet.`<folder>```, so a folder may also hold
several part files (one per document batch, say) without any change to dbt. The build database keeps
its ``raw`` tables as the ingest assets' working state (incremental refreshes delete and insert rows of
changed files there); after writing them an asset exports them here, replacing each file atomically.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

LAKE_FILE = "data.parquet"
# raw tables that are ingest bookkeeping, not dbt sources
NOT_IN_LAKE = {"file_manifest"}


def lake_source(table: str) -> str:
    """The lake folder of a raw table: statistics_* -> statistics, document* -> documents, the NBS and
    crosswalk tables -> reference, the quality tables -> quality."""
    if table.startswith("statistics"):
        return "statistics"
    if table.startswith("document"):
        return "documents"
    return "reference" if table in ("admin_divisions", "prefecture_crosswalk") else "quality"


def lake_folder(lake_dir: Path, table: str) -> Path:
    name = table.split(".")[-1]
    return lake_dir / lake_source(name) / name


def export_tables(conn: duckdb.DuckDBPyConnection, lake_dir: Path, tables: Iterable[str]) -> list[Path]:
    """Write each ``raw.<table>`` (or ``<table>``) of the build database to its lake folder as one
    Parquet file, replacing the previous file atomically (readers see the old file or the new one)."""
    written = []
    for table in tables:
        name = table.split(".")[-1]
        folder = lake_folder(lake_dir, name)
        folder.mkdir(parents=True, exist_ok=True)
        # hidden while written: neither DuckDB's *.parquet glob nor Spark (which skips . and _) sees it
        tmp = folder / f".{LAKE_FILE}.{uuid.uuid4().hex}.tmp"
        try:
            conn.execute(f"copy (select * from raw.{name}) to '{tmp}' (format parquet, compression zstd)")
            os.replace(tmp, folder / LAKE_FILE)
        finally:
            tmp.unlink(missing_ok=True)
        written.append(folder / LAKE_FILE)
    return written


def raw_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The build database's raw tables that belong in the lake."""
    rows = conn.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
    ).fetchall()
    return [name for (name,) in rows if name not in NOT_IN_LAKE]


def export_missing(conn: duckdb.DuckDBPyConnection, lake_dir: Path) -> list[Path]:
    """Export the raw tables that have no lake file yet (a warehouse built before the lake existed, or a
    refresh that selected only some ingest assets), so every dbt source can be read."""
    missing = [t for t in raw_tables(conn) if not (lake_folder(lake_dir, t) / LAKE_FILE).exists()]
    return export_tables(conn, lake_dir, missing)
