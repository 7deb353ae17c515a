"""Reading the value cells of a block of rows: each is empty, a figure in base units or a problem.

A value of at most 15 plain decimal digits is scaled to its base unit by one IEEE multiplication or
division of exact operands, which rounds exactly as ``float(Decimal(text) * factor)`` does (30133.86
亿元 is 3013386000000.0 yuan); any other value (full-width digits, separators, 1e5, words) goes through
``parse_number`` in Python, once per distinct text and unit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.statistics.grouping import groups
from orchestration.statistics.units import ValueProblem, normalise_label, parse_number

EMPTY_CELLS = {"", "-", "—", "–", "…", "...", "na", "n/a", "null", "none"}
# A value scaled in SQL: at most 15 digits, so that its digits are an exact double.
_PLAIN_NUMBER = r"-?[0-9]{1,15}(\.[0-9]{1,15})?"
_POWERS = np.array([float(10**k) for k in range(23)])  # the powers of ten that are exact doubles
_EMPTY, _PLAIN, _NUMBER, _NOT_A_NUMBER = range(4)  # what a value cell holds


class _Cells(NamedTuple):
    """What the value cells of a block of rows hold: figures and problems, in row and column order."""

    empty_cells: int
    figure_row: np.ndarray
    figure_context: np.ndarray
    value: np.ndarray
    original_value: pa.Array
    problem_row: np.ndarray
    problem_context: np.ndarray
    raw_value: pa.Array
    value_problem: pa.Array  # null where the value was read


def read_cells(
    start: int,
    *,
    value_columns: list[pa.Array],
    row_ok: np.ndarray,
    context_of_row: np.ndarray,
    exponent: np.ndarray,
    fine: np.ndarray,
    reading,
    step: int,
) -> _Cells:
    """The value cells of rows ``start`` to ``start + step``: in a row whose region is usable, a cell
    is empty, a figure or a problem. ``context_of_row`` is the context of a row's first value column
    (its next columns' follow it); ``fine`` says which contexts have no problem."""
    stop = min(start + step, len(row_ok))
    rows, width = stop - start, len(value_columns)
    text = pa.string()
    # A column's cells after the other's (cell i is in row i % rows of value column i // rows):
    # nothing is copied to put them in row order but the figures and problems kept.
    if width == 1:
        cell = value_columns[0].slice(start, rows)
    else:
        cell = pa.concat_arrays([array.slice(start, rows) for array in value_columns])
    context_of = (context_of_row[None, start:stop] + np.arange(width)[:, None]).ravel()
    ok = np.tile(row_ok[start:stop], width)

    # A value of at most 15 plain decimal digits: scaled here by one exact IEEE operation.
    lengths = pc.binary_length(cell).to_numpy(zero_copy_only=False)
    empty = lengths == 0
    plain = pc.match_substring_regex(cell, f"^{_PLAIN_NUMBER}$").to_numpy(zero_copy_only=False)
    plain_at = np.flatnonzero(plain)
    plain_cells = cell.take(plain_at)
    number = pc.cast(plain_cells, pa.float64()).to_numpy(zero_copy_only=False)  # -0 is -0.0
    point = pc.find_substring(plain_cells, ".").to_numpy(zero_copy_only=False)
    plain_lengths = lengths[plain_at]
    decimals = np.where(point >= 0, plain_lengths - point - 1, 0)
    fits = plain_lengths - (point >= 0) - np.signbit(number) <= 15
    shift = exponent[context_of[plain_at]] - decimals
    fits &= np.abs(shift) < len(_POWERS)
    if not fits.all():  # more than 15 digits or an exponent beyond exact powers of ten: Python's rules
        plain[plain_at[~fits]] = False
        plain_at, number, decimals, shift = plain_at[fits], number[fits], decimals[fits], shift[fits]
    # The digits with their sign, an exact double: the text read as a double is within a quarter of
    # them once scaled back (they are at most 15), so rounding gives them exactly.
    digits = np.rint(number * _POWERS[decimals])
    scale = _POWERS[np.abs(shift)]
    value = np.full(len(cell), np.nan)
    value[plain_at] = np.where(shift >= 0, digits * scale, digits / scale)

    # Any other value (full-width digits, separators, 1e5, words): Python's rules, once per distinct
    # text and unit exponent. Its original value is its text stripped, the pair's entry in ``texts``.
    kind = np.full(len(cell), _NOT_A_NUMBER, dtype=np.int8)
    kind[empty] = _EMPTY
    kind[plain_at] = _PLAIN
    other_at = np.flatnonzero(~empty & ~plain & ok)
    texts, text_of, problems = cell, None, pa.nulls(0, text)
    if len(other_at):
        others = cell.take(other_at)
        distinct = pc.unique(others)
        distinct_of = pc.index_in(others, distinct).to_numpy(zero_copy_only=False).astype(np.int64)
        exponents = exponent[context_of[other_at]]
        pair_of, pair_firsts = groups([pa.array(distinct_of), pa.array(exponents)], len(other_at))
        results = [reading(distinct[distinct_of[first]].as_py(), int(exponents[first])) for first in pair_firsts]
        stripped, kinds, pair_problems, numbers = zip(*results, strict=True)
        kind[other_at] = np.array(kinds, dtype=np.int8)[pair_of]
        value[other_at] = np.array(numbers, dtype=np.float64)[pair_of]
        texts = pa.concat_arrays([cell, pa.array(stripped, text)])
        text_of = np.arange(len(cell), dtype=np.int64)
        text_of[other_at] = len(cell) + pair_of
        problems = pa.array(pair_problems, text)

    def in_row_order(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The cells of ``mask`` in row and column order: their places in ``cell`` and their rows."""
        if width == 1:
            at = np.flatnonzero(mask)
            return at, at
        row, position = np.divmod(np.flatnonzero(mask.reshape(width, rows).T), width)
        return position * rows + row, row

    def original(at: np.ndarray) -> pa.Array:
        return texts.take(at if text_of is None else text_of[at])

    usable = ok & (kind != _EMPTY)
    figure_cell = fine[context_of] & (kind != _NOT_A_NUMBER)  # a usable cell with no problem
    figure, figure_row = in_row_order(usable & figure_cell)
    problem, problem_row = in_row_order(usable & ~figure_cell)
    if text_of is None:
        value_problem = pa.nulls(len(problem), text)
    else:
        pair = text_of[problem] - len(cell)
        value_problem = problems.take(pa.array(np.maximum(pair, 0), mask=pair < 0))
    return _Cells(
        empty_cells=int(np.count_nonzero(ok) - np.count_nonzero(usable)),
        figure_row=start + figure_row,
        figure_context=context_of[figure],
        value=value[figure],
        original_value=original(figure),
        problem_row=start + problem_row,
        problem_context=context_of[problem],
        raw_value=original(problem),
        value_problem=value_problem,
    )


def read_value(raw_text: str, power: int) -> tuple[str, int, str | None, float]:
    """(original value, kind, problem, number in base units) of a value that is not plain digits."""
    stripped = raw_text.strip()
    if normalise_label(stripped) in EMPTY_CELLS:
        return stripped, _EMPTY, None, np.nan
    try:
        return stripped, _NUMBER, None, float(parse_number(stripped) * Decimal(10) ** power)
    except ValueProblem as exc:
        return stripped, _NOT_A_NUMBER, str(exc), np.nan
