"""The file manifest: which files a refresh must read, and what it records of them."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib.incremental import plan_files, previous_manifest, save_manifest

T1, T2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


def manifest(conn) -> dict[str, tuple]:
    rows = conn.execute("select source_file, size_bytes, mtime_ns, file_sha256, changed_at from raw.file_manifest")
    return {row[0]: row[1:] for row in rows.fetchall()}


def hashed_by_the_reader(plan):
    """What the documents asset does with a plan that keeps no bytes: it reads the changed files and
    gives the plan their hashes before the manifest is saved."""
    plan.hashes.update({path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in plan.changed})
    return plan


def test_an_incremental_plan_reads_and_records_only_what_changed(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    for name in "abcd":
        (folder / f"{name}.txt").write_text(f"text {name}", encoding="utf-8")
    conn = duckdb.connect()
    paths = sorted(folder.iterdir())
    first = plan_files(paths, previous_manifest(conn, "documents"), full=False, keep_content=False)
    assert sorted(first.changed) == [str(p) for p in paths] and set(first.changed.values()) == {None}
    save_manifest(conn, "documents", hashed_by_the_reader(first), T1)
    before = manifest(conn)

    (folder / "a.txt").write_text("text a, changed", encoding="utf-8")
    os.utime(folder / "b.txt", ns=(1, 1))  # touched: read again, same content
    (folder / "c.txt").unlink()
    (folder / "e.txt").write_text("text e", encoding="utf-8")
    paths = sorted(folder.iterdir())
    plan = plan_files(paths, previous_manifest(conn, "documents"), full=False, keep_content=False)
    assert sorted(plan.changed) == [str(folder / "a.txt"), str(folder / "e.txt")]
    assert plan.rehashed == [str(folder / "b.txt")] and plan.files_read == 3
    assert plan.deleted == [str(folder / "c.txt")] and list(plan.unchanged) == [
        str(folder / "b.txt"),
        str(folder / "d.txt"),
    ]
    save_manifest(conn, "documents", hashed_by_the_reader(plan), T2)
    after = manifest(conn)

    stats = {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in paths}
    assert sorted(after) == sorted(stats)
    assert {path: row[:2] for path, row in after.items()} == stats
    assert after[str(folder / "d.txt")] == before[str(folder / "d.txt")]  # untouched
    assert after[str(folder / "b.txt")][2:] == before[str(folder / "b.txt")][2:]  # same hash, same changed_at
    assert after[str(folder / "a.txt")][3] == after[str(folder / "e.txt")][3] == T2
    assert after[str(folder / "a.txt")][2] != before[str(folder / "a.txt")][2]

    again = plan_files(paths, previous_manifest(conn, "documents"), full=False)
    assert not again.has_changes and again.files_read == 0
    full = plan_files(paths, previous_manifest(conn, "documents"), full=True)
    assert sorted(full.changed) == sorted(stats) and full.changed[str(folder / "e.txt")] == b"text e"
