"""Document files split into batches, so parsing can run as one Dagster step per batch.

A file's batch is fixed by its path (a hash, not its position in a listing), so adding a file never
moves another one to a different batch. Each batch is parsed on its own (``parse_documents`` treats every
file independently), a chunk of files at a time, and each chunk's rows go to Parquet files in the batch's
staging folder; the write step loads every batch's files, which gives the same tables as one batch would.
Neither the plan, nor a parse step, nor the write step holds more than one chunk of the corpus in memory.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.lib.corpus import parse_documents
from orchestration.lib.places import Gazetteer
from orchestration.lib.warehouse import replace_table

CHUNK_FILES = 2000  # files parsed, and held in memory, at a time


def batch_of(path: str, batches: int) -> int:
    return int(hashlib.sha1(path.encode("utf-8")).hexdigest()[:8], 16) % batches


def split_into_batches(paths: Iterable[str], batches: int) -> dict[int, list[str]]:
    """The files of each non-empty batch, in path order within a batch."""
    split: dict[int, list[str]] = {}
    for path in sorted(paths):
        split.setdefault(batch_of(path, batches), []).append(path)
    return dict(sorted(split.items()))


def stage_batch(
    paths: list[str],
    gazetteer: Gazetteer,
    loaded_at: datetime,
    folder: Path,
    tables: Mapping[str, str],
    chunk_files: int = CHUNK_FILES,
) -> int:
    """Parse ``paths`` a chunk at a time into ``folder/<table>/chunk-NNNNN.parquet``, typed by the
    ``tables`` DDL (name -> columns); return the number of files parsed. The folder is emptied first, so
    a retried step does not stage its files twice. A file gone since the plan listed it (moved away while
    the refresh ran) is skipped: it has no rows, and the write step counts it as deleted."""
    shutil.rmtree(folder, ignore_errors=True)
    conn = duckdb.connect(config={"threads": 1})
    parsed = 0
    try:
        for start in range(0, len(paths), chunk_files):
            contents = read_present(paths[start : start + chunk_files])
            parsed += len(contents)
            frames = parse_documents(contents, gazetteer, loaded_at)
            for name, frame in frames.items():
                if not len(frame):
                    continue
                (folder / name).mkdir(parents=True, exist_ok=True)
                replace_table(conn, f"stage.{name}", tables[name], frame)
                target = folder / name / f"chunk-{start // chunk_files:05d}.parquet"
                conn.execute(f"copy stage.{name} to '{target}' (format parquet, compression zstd)")
                conn.execute(f"drop table stage.{name}")
    finally:
        conn.close()
    return parsed


def read_present(paths: list[str]) -> dict[str, bytes]:
    """The bytes of each file that still exists."""
    contents = {}
    for path in paths:
        try:
            contents[path] = Path(path).read_bytes()
        except FileNotFoundError:
            continue
    return contents


def staged_files(folders: Iterable[Path], table: str) -> list[Path]:
    """The Parquet files the parse steps staged for ``table``."""
    return sorted(path for folder in folders for path in (Path(folder) / table).glob("*.parquet"))
