"""The lake: the ingest assets' tables as Parquet, the one copy the dbt sources read on every target.

Layout: ``<lake>/<source>/<table>/*.parquet`` with source ``statistics``, ``documents``, ``reference``
or ``quality`` (dbt_project/models/staging/_raw__sources.yml names each folder). DuckDB reads a table as
``read_parquet('<folder>/*.parquet')`` and Spark as ``parquet.`<folder>```. The build database keeps
its ``raw`` tables as the ingest assets' working state (incremental refreshes delete and insert rows of
changed files there); after writing them an asset exports them here, replacing each file atomically.

Most tables are one file, ``data.parquet``. The document tables grow with the corpus, so they are split
by source file into ``part-NNN.parquet`` (``partition_of``): a refresh that adds one document rewrites
the one part that holds it, not the whole table. The folder's ``_partitioning`` file names the rule;
a folder written under another rule (or none) is rewritten whole.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Collection, Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

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
        written += _replace(conn, f"select * from raw.{name}", folder / LAKE_FILE, keep_empty=True)
    return written


FILES_PER_PART = 2000  # source files per lake part of a partitioned table, at most 256 parts
PARTITIONING_FILE = "_partitioning"  # hidden from both engines' globs (Spark skips _ and .)


def parts_for(files: int) -> int:
    """How many parts a partitioned table has for ``files`` source files: a power of two, so the count
    changes (and the tables are rewritten whole) only when the corpus doubles or halves."""
    parts = 1
    while parts < 256 and parts * FILES_PER_PART < files:
        parts *= 2
    return parts


def part_of(source_file: str, parts: int) -> int:
    """A source file's part: a stable hash of its path (md5, the same on every machine and version)."""
    return int.from_bytes(hashlib.md5(source_file.encode("utf-8")).digest()[:8], "big") % parts


def touched_parts(files: Iterable[str], parts: int) -> set[int]:
    """The parts that hold (or held) these source files."""
    return {part_of(path, parts) for path in files}


def export_partitioned(
    conn: duckdb.DuckDBPyConnection,
    lake_dir: Path,
    tables: Iterable[str],
    files: Iterable[str],
    parts: int,
    changed: Collection[str] | None,
) -> list[Path]:
    """Write each ``raw.<table>`` (whose rows each belong to one of ``files`` by ``source_file``) to its
    lake folder as ``part-NNN.parquet`` files. When the folder was written with the same number of parts,
    only the parts of the ``changed`` source files (new, changed or deleted; ``None``: all) are rewritten,
    each as its previous file without the changed files' rows plus their rows now (reading a part is
    far cheaper than picking its rows out of the table); else every part is written from the table.
    Each file is replaced atomically; a part left empty loses its file, except that a table with no
    rows keeps one empty file, so its columns can still be read."""
    files = sorted(set(files))
    rule = f"md5 of source_file, {parts} parts"
    conn.register("_lake_parts", pa.table({"source_file": files, "_part": [part_of(f, parts) for f in files]}))
    changed = sorted(set(changed)) if changed is not None else None
    conn.register("_lake_changed", pa.table({"source_file": pa.array(changed or [], pa.string())}))
    written = []
    try:
        for table in tables:
            name = table.split(".")[-1]
            folder = lake_folder(lake_dir, name)
            folder.mkdir(parents=True, exist_ok=True)
            marker = folder / PARTITIONING_FILE
            rewrite_all = changed is None or not marker.is_file() or marker.read_text(encoding="utf-8") != rule
            if rewrite_all:
                marker.unlink(missing_ok=True)  # until every part is written: an interrupted export is redone whole
                written += _write_all_parts(conn, name, folder, parts)
            else:
                written += _write_parts(conn, name, folder, touched_parts(changed, parts))
            if not any(folder.glob("*.parquet")):  # no rows at all: one empty file keeps the columns
                written += _replace(conn, f"select * from raw.{name}", folder / "part-000.parquet", keep_empty=True)
            marker.write_text(rule, encoding="utf-8")
    finally:
        conn.unregister("_lake_parts")
        conn.unregister("_lake_changed")
    return written


def _write_all_parts(conn: duckdb.DuckDBPyConnection, name: str, folder: Path, parts: int) -> list[Path]:
    tmp = folder / f".parts.{uuid.uuid4().hex}.tmp"  # hidden from both engines while written
    try:
        [(copied,)] = conn.execute(
            f"copy (select t.*, p._part from raw.{name} t join _lake_parts p using (source_file)) "
            f"to '{tmp}' (format parquet, compression zstd, partition_by (_part))"
        ).fetchall()
        [(rows,)] = conn.execute(f"select count(*) from raw.{name}").fetchall()
        if copied != rows:
            raise ValueError(f"raw.{name}: {rows - copied} rows belong to no listed source file; lake not written")
        written = []
        for part in range(parts):
            target = folder / f"part-{part:03d}.parquet"
            produced = sorted((tmp / f"_part={part}").glob("*.parquet"))
            if produced:  # partition_by writes one file per part here
                os.replace(produced[0], target)
                written.append(target)
        keep = set(written)
        for stale in folder.glob("*.parquet"):  # parts left empty, another rule's parts, the unpartitioned file
            if stale not in keep:
                stale.unlink()
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_parts(conn: duckdb.DuckDBPyConnection, name: str, folder: Path, touched: set[int]) -> list[Path]:
    written = []
    for part in sorted(touched):
        target = folder / f"part-{part:03d}.parquet"
        in_part = f"select source_file from _lake_parts where _part = {part}"
        if _same_columns(conn, f"raw.{name}", target):
            query = (
                f"select * from read_parquet('{target}') where source_file not in (from _lake_changed) "
                f"union all select * from raw.{name} "
                f"where source_file in (from _lake_changed) and source_file in ({in_part})"
            )
        else:  # no file yet, or one of other columns: the part's rows from the table
            query = f"select * from raw.{name} where source_file in ({in_part})"
        written += _replace(conn, query, target)
    return written


def _same_columns(conn: duckdb.DuckDBPyConnection, table: str, path: Path) -> bool:
    """Whether the Parquet file at ``path`` exists and has the table's column names and types."""
    if not path.is_file():
        return False
    columns = [row[:2] for row in conn.execute(f"describe select * from read_parquet('{path}')").fetchall()]
    return columns == [row[:2] for row in conn.execute(f"describe {table}").fetchall()]


def _replace(conn: duckdb.DuckDBPyConnection, query: str, target: Path, keep_empty: bool = False) -> list[Path]:
    """Write ``query`` to ``target``, replacing it atomically; no rows remove the file (unless ``keep_empty``)."""
    # hidden while written: neither DuckDB's *.parquet glob nor Spark (which skips . and _) sees it
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        [(rows,)] = conn.execute(f"copy ({query}) to '{tmp}' (format parquet, compression zstd)").fetchall()
        if rows or keep_empty:
            os.replace(tmp, target)
            return [target]
        target.unlink(missing_ok=True)
        return []
    finally:
        tmp.unlink(missing_ok=True)


def raw_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The build database's raw tables that belong in the lake."""
    rows = conn.execute(
        "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
    ).fetchall()
    return [name for (name,) in rows if name not in NOT_IN_LAKE]


def export_missing(conn: duckdb.DuckDBPyConnection, lake_dir: Path) -> list[Path]:
    """Export the raw tables that have no lake file yet (a warehouse built before the lake existed, or a
    refresh that selected only some ingest assets), so every dbt source can be read."""
    missing = [t for t in raw_tables(conn) if not any(lake_folder(lake_dir, t).glob("*.parquet"))]
    return export_tables(conn, lake_dir, missing)
