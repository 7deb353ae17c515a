"""The one change detector: which raw files a refresh must read, what it keeps of them, and the file
sensor asking the same question of the same state."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from orchestration.raw_files.changes import detect_changes, read_state, state_after, write_state

T1, T2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


def hashes_of(changes) -> dict[str, str]:
    """What a reader gives back for the changed files it read (the documents asset hashes as it parses)."""
    return {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in changes.changed}


def listing(folder: Path) -> list[str]:
    return [str(p) for p in sorted(folder.iterdir())]


def test_changes_read_and_keep_only_what_changed(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    for name in "abcd":
        (folder / f"{name}.txt").write_text(f"text {name}", encoding="utf-8")
    first = detect_changes(listing(folder), {}, hash_new=False)
    assert sorted(first.changed) == listing(folder) and set(first.changed.values()) == {None}
    before = state_after(first, {}, hashes_of(first), T1)
    write_state(tmp_path / "manifest.parquet", before)
    assert read_state(tmp_path / "manifest.parquet") == before

    (folder / "a.txt").write_text("text a, changed", encoding="utf-8")
    os.utime(folder / "b.txt", ns=(1, 1))  # touched: read again, same content
    (folder / "c.txt").unlink()
    (folder / "e.txt").write_text("text e", encoding="utf-8")
    changes = detect_changes(listing(folder), before, hash_new=False)
    assert sorted(changes.changed) == [str(folder / "a.txt"), str(folder / "e.txt")]
    assert list(changes.rehashed) == [str(folder / "b.txt")] and changes.files_read == 3
    assert changes.deleted == [str(folder / "c.txt")]
    assert changes.unchanged == [str(folder / "b.txt"), str(folder / "d.txt")]
    assert changes.stale == [str(folder / name) for name in ("a.txt", "c.txt", "e.txt")]
    after = state_after(changes, before, hashes_of(changes), T2)

    stats = {p: (os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in listing(folder)}
    assert {path: (s.size_bytes, s.mtime_ns) for path, s in after.items()} == stats
    assert after[str(folder / "d.txt")] == before[str(folder / "d.txt")]  # untouched
    b = str(folder / "b.txt")
    assert (after[b].sha256, after[b].changed_at) == (before[b].sha256, T1)  # same content, same changed_at
    assert after[str(folder / "a.txt")].changed_at == after[str(folder / "e.txt")].changed_at == T2
    assert after[str(folder / "a.txt")].sha256 != before[str(folder / "a.txt")].sha256

    again = detect_changes(listing(folder), after)
    assert not again.any and again.files_read == 0 and again.summary() == []
    full = detect_changes(listing(folder), after, full=True)
    assert sorted(full.changed) == sorted(stats)
    # a full read of the same content keeps when it last changed
    assert state_after(full, after, {}, datetime.now(UTC)) == after


def test_a_file_gone_before_its_reader_came_counts_as_deleted(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "b.txt").write_text("b", encoding="utf-8")
    changes = detect_changes(listing(tmp_path), {}, hash_new=False)
    (tmp_path / "b.txt").unlink()  # moved away while the refresh ran
    read = {str(tmp_path / "a.txt"): hashlib.sha256(b"a").hexdigest()}  # what the reader found
    state = state_after(changes, {}, read, T1)
    assert list(state) == [str(tmp_path / "a.txt")]
    gone = detect_changes([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], state)
    assert gone.files == [str(tmp_path / "a.txt")]  # a listed file gone before its stat is left out


def test_the_summary_names_every_change_for_the_run_key(tmp_path):
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    changes = detect_changes(listing(tmp_path), {})
    sha = hashlib.sha256(b"a").hexdigest()
    assert changes.summary() == [f"{tmp_path / 'a.txt'}:{sha}"]
    state = state_after(changes, {}, {}, T1)
    (tmp_path / "a.txt").unlink()
    assert detect_changes([], state).summary() == [f"{tmp_path / 'a.txt'}:deleted"]
