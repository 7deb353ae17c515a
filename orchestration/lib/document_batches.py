"""Document files split into batches, so parsing can run as one Dagster step per batch.

A file's batch is fixed by its path (a hash, not its position in a listing), so adding a file never
moves another one to a different batch. Each batch is parsed on its own (``parse_documents`` treats every
file independently), a chunk of files at a time, and each chunk's rows go to Parquet files in the batch's
staging folder; the write step loads every batch's files, which gives the same tables as one batch would.
Neither the plan, nor a parse step (nor its helper process), nor the write step holds more than one
chunk of the corpus in memory.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import shutil
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.config import DBT_PROJECT_DIR
from orchestration.lib.corpus import parse_documents
from orchestration.lib.places import Gazetteer, load_gazetteer
from orchestration.lib.warehouse import replace_table
from orchestration.lib.workers import Worker, WorkerGone

log = logging.getLogger(__name__)
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

CHUNK_FILES = 2000  # files parsed, and held in memory, at a time (by each process)
# From this many files to parse on, the plan starts the parse helper: a worker process that parses every
# other chunk of each batch on the other core. Its start-up (imports, jieba's dictionary: 2-3 s) would not
# pay off for fewer: at about 0.7 ms a file, 8,000 files take 6 s in one process.
HELPER_MIN_FILES = 8000
HELPER = Worker(f"{__name__}:stage_chunk")


def batch_of(path: str, batches: int) -> int:
    return int(hashlib.sha1(path.encode("utf-8")).hexdigest()[:8], 16) % batches


def split_into_batches(paths: Iterable[str], batches: int) -> dict[int, list[str]]:
    """The files of each non-empty batch, in path order within a batch."""
    split: dict[int, list[str]] = {}
    for path in sorted(paths):
        split.setdefault(batch_of(path, batches), []).append(path)
    return dict(sorted(split.items()))


def start_helper(files: int, divisions: list[dict]) -> None:
    """Start the parse helper, with the gazetteer of these divisions loaded ahead, when a refresh has this
    many files to parse; else stop one left running."""
    if files >= HELPER_MIN_FILES:
        try:
            HELPER.start()
            HELPER.prime({"divisions": divisions})
        except (OSError, WorkerGone) as exc:  # no second process to be had: the parse steps work alone
            log.warning("could not start the parse helper (%s); parsing in one process", exc)
    else:
        HELPER.stop()


def stop_helper() -> None:
    HELPER.stop()


def stage_batch(
    paths: list[str],
    divisions: list[dict],
    loaded_at: datetime,
    folder: Path,
    tables: Mapping[str, str],
    chunk_files: int = CHUNK_FILES,
) -> tuple[int, int]:
    """Parse ``paths`` a chunk at a time into ``folder/<table>/chunk-NNNNN.parquet``, typed by the
    ``tables`` DDL (name -> columns), with the gazetteer of the seeds and ``divisions``; return the
    number of files parsed, and how many of them the parse helper parsed. The folder is emptied first,
    so a retried step does not stage its files twice. A file gone since the plan listed it (moved away
    while the refresh ran) is skipped: it has no rows, and the write step counts it as deleted.

    While the parse helper runs, a batch comes in an even number of chunks (at least two), and the helper
    parses the second of each pair while this process parses the first. Each chunk is parsed on its own,
    so the staged rows are the same whoever parses them; a helper that is gone leaves its chunks here."""
    shutil.rmtree(folder, ignore_errors=True)
    helped = HELPER.running and len(paths) > 1
    count = -(-len(paths) // chunk_files)
    if helped:
        count = max(2, count + count % 2)
    size = max(1, -(-len(paths) // max(count, 1)))
    chunks = [paths[start : start + size] for start in range(0, len(paths), size)]
    request = {"divisions": divisions, "loaded_at": loaded_at, "folder": folder, "tables": tables}
    parsed = by_helper = 0
    step = 2 if helped else 1
    for index in range(0, len(chunks), step):
        theirs = index + 1 if step == 2 and index + 1 < len(chunks) else None
        sent = False
        if theirs is not None and helped:
            try:
                HELPER.send({**request, "index": theirs, "paths": chunks[theirs]})
                sent = True
            except WorkerGone:
                helped = False
        parsed += stage_chunk({**request, "index": index, "paths": chunks[index]})
        if theirs is not None:
            if sent:
                try:
                    done = HELPER.receive()
                    parsed, by_helper = parsed + done, by_helper + done
                    continue
                except WorkerGone:
                    helped = False
            parsed += stage_chunk({**request, "index": theirs, "paths": chunks[theirs]})
    return parsed, by_helper


_GAZETTEERS: dict[bytes, Gazetteer] = {}


def _gazetteer(divisions: list[dict]) -> Gazetteer:
    """The gazetteer of the seeds and these divisions, built once per process for the same divisions."""
    key = hashlib.sha1(pickle.dumps(divisions)).digest()
    if key not in _GAZETTEERS:
        _GAZETTEERS.clear()
        _GAZETTEERS[key] = load_gazetteer(SEEDS_DIR, divisions)
    return _GAZETTEERS[key]


def stage_chunk(request: dict) -> int:
    """Parse one chunk of a batch into its Parquet files; returns the number of files parsed. A request
    without paths (the helper's first) only loads the gazetteer and jieba."""
    if "paths" not in request:
        _gazetteer(request["divisions"]).load()
        return 0
    folder: Path = request["folder"]
    contents = read_present(request["paths"])
    frames = parse_documents(contents, _gazetteer(request["divisions"]), request["loaded_at"])
    conn = duckdb.connect(config={"threads": 1})
    try:
        for name, frame in frames.items():
            if not len(frame):
                continue
            (folder / name).mkdir(parents=True, exist_ok=True)
            replace_table(conn, f"stage.{name}", request["tables"][name], frame)
            target = folder / name / f"chunk-{request['index']:05d}.parquet"
            conn.execute(f"copy stage.{name} to '{target}' (format parquet, compression zstd)")
    finally:
        conn.close()
    return len(contents)


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
