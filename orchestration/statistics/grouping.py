"""Rows grouped by the values of a few columns, each group numbered by its first row: so that what a
region, an indicator or a value text means is decided once per distinct value, not once per row."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def groups(arrays: list[pa.Array], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The group of every row by the values of these arrays (numbered by first appearance) and the
    first row of every group."""
    if rows > 1 and arrays and _run_heads([array[:4096] for array in arrays]) is not None:
        # Tables list a region's rows together: group the first row of every run of equal keys.
        head = _run_heads(arrays)
        if head is not None:
            heads = np.flatnonzero(head)
            run_group, run_firsts = _hash_groups([array.take(heads) for array in arrays], len(heads))
            return run_group[np.cumsum(head) - 1], heads[run_firsts]
    return _hash_groups(arrays, rows)


def _run_heads(arrays: list[pa.Array]) -> np.ndarray | None:
    """Which rows start a run of equal keys; None if more than a quarter do."""
    rows = len(arrays[0])
    head = np.zeros(rows, dtype=bool)
    head[0] = True
    for array in arrays:
        head[1:] |= pc.not_equal(array[1:], array[:-1]).to_numpy(zero_copy_only=False)
        if np.count_nonzero(head) * 4 > rows:
            return None
    return head


def _hash_groups(arrays: list[pa.Array], rows: int) -> tuple[np.ndarray, np.ndarray]:
    group = np.zeros(rows, dtype=np.int64)
    for i, array in enumerate(arrays):
        encoded = pc.dictionary_encode(array)
        index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        if i == 0:
            group = index
        else:
            group = pc.dictionary_encode(pa.array(group * len(encoded.dictionary) + index)).indices
            group = group.to_numpy(zero_copy_only=False).astype(np.int64)
    if rows == 0:
        return group, np.zeros(0, dtype=np.int64)
    seen = np.maximum.accumulate(group)  # a group's number is one more than any before its first row
    new = np.empty(rows, dtype=bool)
    new[0] = True
    np.not_equal(seen[1:], seen[:-1], out=new[1:])
    return group, np.flatnonzero(new)
