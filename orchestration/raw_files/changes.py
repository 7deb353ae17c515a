"""Which raw files changed since the warehouse last read them: the one change detector of the file
sensor and the ingest assets.

The warehouse keeps, per source kind, the size, modification time and sha256 of every file it
ingested, and when its content last changed (the kind's manifest in the lake, ``read_state`` /
``write_state``). A file whose size and mtime are unchanged is trusted unread; any other is read and
hashed, and counts as changed only when its content differs.
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.raw_files.decoding import RefusedFile, link_refusal, name_refusal


@dataclass(frozen=True)
class FileState:
    size_bytes: int
    mtime_ns: int
    sha256: str
    changed_at: datetime  # when the warehouse first read this content


@dataclass
class Changes:
    """The files of one source kind, split by what a refresh must do with them."""

    files: list[str] = field(default_factory=list)  # every current file, in listing order
    unchanged: list[str] = field(default_factory=list)  # not read, or read and found the same
    # new or changed: path -> sha256, or None when the file was not read (the reader hashes it)
    changed: dict[str, str | None] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    stat: dict[str, tuple[int, int]] = field(default_factory=dict)  # (size, mtime_ns) of the files read
    rehashed: dict[str, str] = field(default_factory=dict)  # touched files read to find their content unchanged

    @property
    def any(self) -> bool:
        """A file is new, changed or gone: the kind's tables must be rewritten."""
        return bool(self.changed or self.deleted)

    @property
    def stale(self) -> list[str]:
        """The files whose rows must go: the changed ones (their rows come back from the new content) and
        the deleted ones."""
        return sorted({*self.changed, *self.deleted})

    @property
    def files_read(self) -> int:
        return len(self.changed) + len(self.rehashed)

    def summary(self) -> list[str]:
        """``path:sha256`` of every new or changed file and ``path:deleted`` of every deleted one, sorted:
        what a run key is made of (the same content never runs twice)."""
        return sorted([f"{path}:{sha}" for path, sha in self.changed.items()] + [f"{p}:deleted" for p in self.deleted])


def sha256_of(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _look(path: str) -> tuple[tuple[int, int], str | None]:
    """((size, mtime_ns), the sha256 a refused file stands for, else None), without opening the file or
    following a link; a file whose name is refused has no size and time (it is not even looked at)."""
    reason = name_refusal(path)
    if reason is not None:
        return (0, 0), RefusedFile(reason).sha256
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        return (status.st_size, status.st_mtime_ns), RefusedFile(link_refusal(path)).sha256
    return (status.st_size, status.st_mtime_ns), None


def detect_changes(
    paths: Sequence[str], previous: Mapping[str, FileState], full: bool = False, hash_new: bool = True
) -> Changes:
    """Split ``paths`` by what a refresh must do, against the ``previous`` state. With ``full`` every
    file counts as changed. With ``hash_new=False`` a new or changed file is not read here (its hash is
    None): its reader hashes it as it reads, so a corpus is read once. A file gone before it could be
    looked at is left out, as if it had not been listed."""
    changes = Changes()
    for path in paths:
        try:
            now, refused = _look(path)
            before = previous.get(path)
            if not full and before is not None and (before.size_bytes, before.mtime_ns) == now:
                changes.unchanged.append(path)
                changes.files.append(path)
                continue
            known = not full and before is not None  # touched: is its content the same?
            sha = refused or (sha256_of(path) if known or hash_new else None)
        except FileNotFoundError:
            continue
        changes.files.append(path)
        changes.stat[path] = now
        if known and sha == before.sha256:
            changes.unchanged.append(path)
            changes.rehashed[path] = sha
        else:
            changes.changed[path] = sha
    listed = set(changes.files)
    changes.deleted = sorted(path for path in previous if path not in listed)
    return changes


def state_after(
    changes: Changes, previous: Mapping[str, FileState], hashes: Mapping[str, str], now: datetime
) -> dict[str, FileState]:
    """The state to keep once the changed files are read: ``hashes`` gives the sha256 of every changed
    file that was read (a changed file without one was gone when its reader came: it counts as
    deleted). ``changed_at`` moves only for a file whose content changed."""
    state: dict[str, FileState] = {}
    for path in changes.files:
        if path in changes.changed:
            sha = changes.changed[path] or hashes.get(path)
            if sha is None:
                continue
            before = previous.get(path)
            changed_at = before.changed_at if before is not None and before.sha256 == sha else now
            state[path] = FileState(*changes.stat[path], sha, changed_at)
        elif path in changes.rehashed:
            state[path] = FileState(*changes.stat[path], changes.rehashed[path], previous[path].changed_at)
        else:
            state[path] = previous[path]
    return state


def last_change(state: Mapping[str, FileState], changes: Changes, now: datetime) -> datetime:
    """When the kind's files last changed: now when a file is gone, else the latest ``changed_at``."""
    return max([now] if changes.deleted else [s.changed_at for s in state.values()], default=now)


def vanished(changes: Changes, hashes: Mapping[str, str]) -> list[str]:
    """The changed files that were gone when their reader came (no hash)."""
    return sorted(path for path, sha in changes.changed.items() if sha is None and path not in hashes)


_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("size_bytes", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("file_sha256", pa.string()),
        ("changed_at", pa.timestamp("us", "UTC")),
    ]
)


def read_state(path: Path) -> dict[str, FileState]:
    """The state kept at ``path`` (a Parquet file), or none."""
    if not path.is_file():
        return {}
    table = pq.read_table(path, schema=_SCHEMA)
    columns = [table[name].to_pylist() for name in _SCHEMA.names]
    return {row[0]: FileState(*row[1:]) for row in zip(*columns, strict=True)}


def write_state(path: Path, state: Mapping[str, FileState]) -> None:
    """Keep ``state`` at ``path``, replacing the file atomically."""
    rows = sorted(state.items())
    table = pa.table(
        [
            [p for p, _ in rows],
            [s.size_bytes for _, s in rows],
            [s.mtime_ns for _, s in rows],
            [s.sha256 for _, s in rows],
            [s.changed_at for _, s in rows],
        ],
        schema=_SCHEMA,
    )
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
