"""Document files split into batches, so parsing can run as one Dagster step per batch.

A file's batch is fixed by its path (a hash, not its position in a listing), so adding a file never
moves another one to a different batch. Each batch is parsed on its own (``parse_documents`` treats every
file independently); the write step concatenates the batches' rows, which gives the same tables as one
batch would.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def batch_of(path: str, batches: int) -> int:
    return int(hashlib.sha1(path.encode("utf-8")).hexdigest()[:8], 16) % batches


def split_into_batches(contents: dict[str, bytes], batches: int) -> dict[int, dict[str, bytes]]:
    """The files (path -> bytes) of each non-empty batch, in path order within a batch."""
    split: dict[int, dict[str, bytes]] = {}
    for path in sorted(contents):
        split.setdefault(batch_of(path, batches), {})[path] = contents[path]
    return dict(sorted(split.items()))


def combine_batches(parsed: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """One frame per table from the batches' frames (tables a batch has no rows for are absent there)."""
    names = sorted({name for frames in parsed for name in frames})
    combined = {}
    for name in names:
        frames = [frames[name] for frames in parsed if name in frames and len(frames[name])]
        if frames:
            combined[name] = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return combined
