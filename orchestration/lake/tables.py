"""The lake: the ingested raw tables as Parquet, the one copy the blocking checks and the dbt sources read.

Layout: ``<lake>/<source>/<table>/*.parquet``, with source ``statistics``, ``documents`` or ``reference``
(a dbt source each: dbt_project/models/staging/<source>/_<source>__sources.yml), and
``<lake>/<source>/_manifest.parquet``, what the source's files were when they were read (``raw_files.changes``).
DuckDB reads a table as ``read_parquet('<folder>/*.parquet')``, Spark as ``parquet.`<folder>```.

A source is written as a whole new version (``with SourceVersion(...)``): ``<lake>/<source>`` is a symbolic link to
a folder ``.<source>.<hex>``; a refresh makes a new folder holding hard links to the files of the current
one, writes what changed there (each new file under a new name, so the old version keeps its own), and
switches the link in one rename. Readers see the old tables or the new ones, never a mix of the two, and
a refresh killed at any moment leaves the source as it was, its manifest included.

Most tables are one file, ``data.parquet``. The document tables grow with the corpus, so they are split
by source file into ``part-NNN.parquet`` files (``write_parts``, DuckDB's ``COPY … PARTITION_BY``): a
refresh that adds one document rewrites the one part that holds it. The folder's ``_partitioning`` file
names the rule; a folder written under another rule (or none) is rewritten whole.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

LAKE_FILE = "data.parquet"
MANIFEST_FILE = "_manifest.parquet"
FILES_PER_PART = 2000  # source files per part of a partitioned table, at most 256 parts
PARTITIONING_FILE = "_partitioning"  # hidden from both engines' globs (Spark skips _ and .)
NO_ROWS = "select 1 as _none where false"  # a query without rows, whatever a table's columns (see ``typed``)


def parquet_glob(folder: Path) -> str:
    return f"{folder}/*.parquet"


class SourceVersion:
    """A new version of one source's folder, committed in one rename (see the module's docstring)."""

    def __init__(self, lake_dir: Path, source: str):
        self.link = lake_dir / source
        self.lake_dir = lake_dir
        lake_dir.mkdir(parents=True, exist_ok=True)
        if self.link.is_dir() and not self.link.is_symlink():  # a lake written before sources were versioned
            shutil.rmtree(self.link)
        current = self.current
        for leftover in lake_dir.glob(f".{source}.*"):  # of a refresh killed before it committed
            if leftover.is_symlink():
                leftover.unlink()
            elif leftover != current:
                shutil.rmtree(leftover, ignore_errors=True)
        self.folder = lake_dir / f".{source}.{uuid.uuid4().hex}"
        if current is not None:
            shutil.copytree(current, self.folder, copy_function=os.link)
        else:
            self.folder.mkdir()

    @property
    def current(self) -> Path | None:
        """The folder the source's link points to, or None before the first commit."""
        return self.lake_dir / os.readlink(self.link) if self.link.is_symlink() else None

    def table(self, name: str) -> Path:
        folder = self.folder / name
        folder.mkdir(exist_ok=True)
        return folder

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST_FILE

    def commit(self) -> None:
        previous = self.current
        tmp = self.lake_dir / f".{self.link.name}.link.{uuid.uuid4().hex}"
        os.symlink(self.folder.name, tmp)
        os.replace(tmp, self.link)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SourceVersion:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        """Commit the version when the block succeeded, discard it when it raised."""
        if kind is None:
            self.commit()
        else:
            self.discard()


def replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` under a new name and rename it over ``path``: a version's files are hard
    links to the last version's, which must keep its own."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


READER_FILE = "_reader.sha256"  # beside a version's manifest: the reader its files were read with


def manifest_path(lake_dir: Path, source: str) -> Path:
    """The committed manifest of a source (it may not exist)."""
    return lake_dir / source / MANIFEST_FILE


def read_with_another_reader(lake_dir: Path, source: str, reader: str) -> bool:
    """Whether the committed version of ``source`` was read with another reader than ``reader`` (a hash
    of what the reader reads files with besides the files: a catalogue, a gazetteer, its columns), or
    with one it did not record: its files must all be read again."""
    path = manifest_path(lake_dir, source).with_name(READER_FILE)
    return not path.is_file() or path.read_text(encoding="utf-8") != reader


def _copy(conn: duckdb.DuckDBPyConnection, query: str, target: Path, options: str = "") -> int:
    """Write the rows of ``query`` to ``target`` as Parquet under a new name, then rename it over
    ``target`` (so a hard link to the old file keeps the old rows); returns the row count."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        [(rows,)] = conn.execute(f"copy ({query}) to '{tmp}' (format parquet, compression zstd{options})").fetchall()
        os.replace(tmp, target)
        return rows
    finally:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)


def typed(columns: str, query: str) -> str:
    """``query``'s columns named in ``columns`` ("name type, name type, ..."), cast to their types, in
    that order (a column ``query`` lacks is null): the lake's files have the same schema whatever their
    rows were read from."""
    pairs = [[word.strip() for word in part.split(None, 1)] for part in columns.split(",") if part.strip()]
    empty = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in pairs)
    casts = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in pairs)
    return f"select {casts} from (select {empty} where false union all by name ({query}))"


def write_table(conn: duckdb.DuckDBPyConnection, folder: Path, columns: str, query: str) -> int:
    """Replace the table in ``folder`` with the rows of ``query``, typed by ``columns``, as one file."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        if old.name != LAKE_FILE:
            old.unlink()
    return _copy(conn, typed(columns, query), folder / LAKE_FILE)


def parts_for(files: int) -> int:
    """How many parts a partitioned table has for ``files`` source files: a power of two, so the count
    changes (and the tables are rewritten whole) only when the corpus doubles or halves."""
    parts = 1
    while parts < 256 and parts * FILES_PER_PART < files:
        parts *= 2
    return parts


def part_sql(column: str, parts: int) -> str:
    """A source file's part: a stable hash of its path (md5, the same on every machine and version)."""
    return f"cast(md5_number({column}) % {parts} as integer)"


def write_parts(
    conn: duckdb.DuckDBPyConnection,
    folder: Path,
    columns: str,
    new_rows: str | None,
    stale: Sequence[str] | None,
    parts: int,
) -> None:
    """Write a table whose rows belong to source files (``source_file``) as ``part-NNN.parquet`` files.

    ``new_rows`` is a query for the rows of the files read now (None: none), ``stale`` the files whose rows are to go
    (changed and deleted ones; None: every row, a full refresh). When the folder was written with the
    same number of parts, only the parts of the stale files are rewritten: each as its old rows without
    the stale files', plus the new rows of that part; otherwise every part is written from the old rows
    that stay and the new ones. A part left empty loses its file, except that a table with no rows keeps
    one empty file, so its columns can still be read."""
    rule = f"md5 of source_file, {parts} parts"
    marker = folder / PARTITIONING_FILE
    incremental = stale is not None and marker.is_file() and marker.read_text(encoding="utf-8") == rule
    conn.register("_stale", pa.table({"source_file": pa.array(list(stale or []), pa.string())}))
    if incremental:
        rows = conn.execute(f"select distinct {part_sql('source_file', parts)} from _stale").fetchall()
        touched = {part for (part,) in rows}
        old = [folder / f"part-{part:03d}.parquet" for part in sorted(touched)]
    else:
        touched = set(range(parts))
        old = sorted(folder.glob("*.parquet")) if stale is not None else []
    old = [str(path) for path in old if path.is_file()]
    new_rows = new_rows or NO_ROWS
    kept = f"select * from read_parquet({old!r}) where source_file not in (select source_file from _stale)"
    rows = typed(columns, f"({kept}) union all by name ({new_rows})" if old else new_rows)
    marker.unlink(missing_ok=True)  # until every part is written: an interrupted write is redone whole
    tmp = folder / f".parts.{uuid.uuid4().hex}.tmp"
    # each file's part, hashed once per file rather than once per row (md5 of every row: seconds)
    conn.execute(
        f"create or replace temp table _parts as select source_file, {part_sql('source_file', parts)} as _part "
        f"from (select distinct source_file from ({rows}))"
    ).fetchall()
    try:
        with_part = (
            f"select r.*, coalesce(p._part, 0) as _part from ({rows}) as r left join _parts as p using (source_file)"
        )
        conn.execute(
            f"copy ({with_part}) to '{tmp}' (format parquet, compression zstd, partition_by (_part))"
        ).fetchall()
        for part in sorted(touched):
            target = folder / f"part-{part:03d}.parquet"
            produced = sorted((tmp / f"_part={part}").glob("*.parquet"))
            if produced:  # partition_by writes one file per part at these sizes
                os.replace(produced[0], target)
            else:
                target.unlink(missing_ok=True)
        if not incremental:  # another rule's parts, or an unpartitioned file
            keep = {f"part-{part:03d}.parquet" for part in touched}
            for stale_file in folder.glob("*.parquet"):
                if stale_file.name not in keep:
                    stale_file.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not any(folder.glob("*.parquet")):
        _copy(conn, typed(columns, NO_ROWS), folder / "part-000.parquet")
    marker.write_text(rule, encoding="utf-8")


def kept_and_new(conn: duckdb.DuckDBPyConnection, current: Path | None, stale: Sequence[str], new: str | None) -> str:
    """A query for a table's rows after a refresh: the rows of its current files (``current``, a folder
    of Parquet files, or None) whose source file is not ``stale``, and the rows of the query ``new``."""
    conn.register("_stale", pa.table({"source_file": pa.array(list(stale), pa.string())}))
    queries = []
    if current is not None and any(current.glob("*.parquet")):
        queries.append(
            f"select * from read_parquet('{parquet_glob(current)}') "
            "where source_file not in (select source_file from _stale)"
        )
    if new is not None:
        queries.append(new)
    return " union all by name ".join(f"({q})" for q in queries) if queries else NO_ROWS


def row_count(conn: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """The rows of the table in ``folder``."""
    return conn.execute(f"select count(*) from read_parquet('{parquet_glob(folder)}')").fetchall()[0][0]
