"""Which raw files changed since the last refresh, without reading the ones that did not.

The warehouse keeps, per source kind, the size, modification time and sha256 of every file it has
ingested (``raw.file_manifest``). A file whose size and mtime are unchanged is trusted unread; any
other is read and hashed, and counts as changed only when its content differs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.lib.warehouse import Rows, insert_rows

MANIFEST_DDL = """
create table if not exists raw.file_manifest (
    source_kind varchar not null, source_file varchar not null, size_bytes bigint not null,
    mtime_ns bigint not null, file_sha256 varchar not null, changed_at timestamptz not null
)"""


@dataclass
class FilePlan:
    """The files of one source kind, split by what the refresh must do with them."""

    unchanged: dict[str, str] = field(default_factory=dict)  # path -> sha256, not read
    # path -> content (None when the plan was asked not to keep it: the consumer reads the file), new or changed
    changed: dict[str, bytes | None] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # path -> sha256 of the changed files
    deleted: list[str] = field(default_factory=list)
    stat: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    changed_at: dict[str, object] = field(default_factory=dict)  # path -> when its content last changed

    @property
    def has_changes(self) -> bool:
        """A file is new, changed or gone: the source's tables (and their lake files) must be rewritten."""
        return bool(self.changed or self.deleted)

    @property
    def files_read(self) -> int:
        return len(self.changed) + self.rehashed

    rehashed: int = 0  # touched files read to find their content unchanged

    def sha(self, path: str) -> str:
        return self.unchanged[path] if path in self.unchanged else self.hashes[path]

    @property
    def current_shas(self) -> set[str]:
        return {self.sha(p) for p in [*self.unchanged, *self.changed]}


def previous_manifest(conn: duckdb.DuckDBPyConnection, source_kind: str) -> pd.DataFrame:
    conn.execute("create schema if not exists raw")
    conn.execute(MANIFEST_DDL)
    return conn.execute(
        "select source_file, size_bytes, mtime_ns, file_sha256, changed_at from raw.file_manifest "
        "where source_kind = ?",
        [source_kind],
    ).df()


def plan_files(paths: list[Path], previous: pd.DataFrame, full: bool, keep_content: bool = True) -> FilePlan:
    """Split ``paths`` by what the refresh must do; ``keep_content=False`` hashes the changed files without
    holding their bytes (a corpus of documents need not sit in memory while batches of it are parsed)."""
    known = {row.source_file: row for row in previous.itertuples()}
    plan = FilePlan(changed_at={row.source_file: row.changed_at for row in previous.itertuples()})
    for path in paths:
        stat = path.stat()
        key = str(path)
        plan.stat[key] = (stat.st_size, stat.st_mtime_ns)
        before = known.get(key)
        if not full and before is not None and (before.size_bytes, before.mtime_ns) == plan.stat[key]:
            plan.unchanged[key] = before.file_sha256
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if not full and before is not None and sha == before.file_sha256:
            plan.unchanged[key] = before.file_sha256
            plan.rehashed += 1
            continue
        plan.changed[key] = data if keep_content else None
        plan.hashes[key] = sha
    plan.deleted = sorted(set(known) - set(plan.stat))
    return plan


def save_manifest(conn: duckdb.DuckDBPyConnection, source_kind: str, plan: FilePlan, now) -> None:
    """Record every current file; ``changed_at`` moves only for files whose content changed."""
    rows = pd.DataFrame(
        [
            {
                "source_kind": source_kind,
                "source_file": path,
                "size_bytes": size,
                "mtime_ns": mtime,
                "file_sha256": plan.sha(path),
                "changed_at": now if path in plan.changed else plan.changed_at.get(path, now),
            }
            for path, (size, mtime) in plan.stat.items()
        ],
        columns=["source_kind", "source_file", "size_bytes", "mtime_ns", "file_sha256", "changed_at"],
    )
    conn.execute("delete from raw.file_manifest where source_kind = ?", [source_kind])
    if len(rows):
        conn.register("_manifest", rows)
        try:
            conn.execute("insert into raw.file_manifest select * from _manifest")
        finally:
            conn.unregister("_manifest")


def replace_rows_of_files(
    conn: duckdb.DuckDBPyConnection, table: str, ddl: str, rows: Rows, stale_files: list[str]
) -> int:
    """Delete the rows of ``stale_files`` (changed or deleted) from ``table`` and insert ``rows``."""
    schema = table.split(".")[0]
    conn.execute(f"create schema if not exists {schema}")
    conn.execute(f"create table if not exists {table} ({ddl})")
    if stale_files:
        conn.execute(f"delete from {table} where source_file in (select unnest(?::varchar[]))", [sorted(stale_files)])
    insert_rows(conn, table, ddl, rows)
    return conn.execute(f"select count(*) from {table}").fetchone()[0]
