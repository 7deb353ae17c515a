"""Conversion of a table's rows to figures in base units, with their provenance, and quarantine entries.

What a code, an indicator, a unit or a year means is decided once per distinct value (a run of rows
with the same region is looked at once) and mapped back to the rows by index: a figure's region and
context texts are indices into those values (dictionary-encoded columns), never copied per figure.
The value cells are read a block of rows at a time, in two threads (Arrow and NumPy let go of the GIL
while they work).
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.statistics.boundaries import read_boundaries
from orchestration.statistics.grouping import groups
from orchestration.statistics.layout import Column
from orchestration.statistics.schema import (
    FIGURE_ROLES,
    OBSERVATION_SCHEMA,
    QUARANTINE_SCHEMA,
    REGION_ROLES,
    WHITESPACE,
    YEAR_HEADER,
    ParsedFile,
    Ragged,
)
from orchestration.statistics.units import Catalogue, ValueProblem, normalise_label, split_label_unit
from orchestration.statistics.value_cells import read_cells, read_value
from orchestration.statistics.vintages import parse_published_on, parse_vintage

YEAR_RANGE = range(1949, 2101)
BLOCK_CELLS = 1 << 18  # value cells read at a time, by one of two threads


@dataclass(frozen=True)
class Context:
    """What the cells of a value column mean in rows with the given indicator, unit and year cells.

    ``before_number`` is a problem found before the value is read (unknown indicator, no unit, a bad
    year) and ``after_number`` one found after it (an unknown or mismatched unit): a value that is not
    a number is reported as such only when there is no problem of the first kind."""

    before_number: str | None = None
    after_number: str | None = None
    indicator: str | None = None
    unit: str | None = None
    year: int | None = None
    base_unit: str | None = None
    exponent: int | None = None


def convert(
    cells: pa.Table, ragged: Ragged, columns: list[Column], width: int, parsed: ParsedFile, catalogue: Catalogue
) -> None:
    """Observations and quarantine entries of the rows in ``cells``, in row and column order."""
    role_index = {c.role: c.index for c in columns if c.role}  # the last column of a role wins
    values = [c for c in columns if c.role is None or (c.role == "value" and parsed.layout == "long")]
    rows = cells.num_rows
    source_rows = cells["source_row"].to_numpy()
    text = pa.string()

    @functools.cache
    def column(index: int) -> pa.Array:
        array = cells[f"c{index + 1}"]
        return array.chunk(0) if array.num_chunks == 1 else array.combine_chunks()

    # The region and provenance a row names: once per distinct (code, name, province, source, …).
    present = [r for r in REGION_ROLES if r in role_index]
    region_of, firsts = groups([column(role_index[r]) for r in present], rows)
    keys = {r: column(role_index[r]).take(firsts).to_pylist() for r in present}
    file_level = {"vintage": parsed.file_vintage or "", "published_on": parsed.file_published_on or ""}
    regions = []
    for rkey in range(len(firsts)):
        role = {r: keys[r][rkey].strip() if r in keys else "" for r in REGION_ROLES}
        role |= {r: role[r] or file_level[r] for r in file_level}
        problem = None
        for name, parse in (("code", _region_code), ("vintage", parse_vintage), ("published_on", parse_published_on)):
            try:
                role[name] = role[name] and parse(role[name])
            except ValueProblem as exc:
                problem, role[name] = problem or (name, role[name], str(exc)), ""
        if problem is None and not role["code"] and not role["name"]:
            problem = ("name", "", "row names no region (code and name empty)")
        regions.append((*(role[r] or None for r in REGION_ROLES), *(problem or (None, None, None))))
    width_of_region = len(REGION_ROLES)
    region = [
        pa.array(list(values_), text) for values_ in (list(zip(*regions, strict=True)) or [()] * (width_of_region + 3))
    ]
    region_ok = np.array([r[-1] is None for r in regions], dtype=bool)

    # What a value column means in a row: once per distinct (indicator, unit, year) and column.
    present = [r for r in FIGURE_ROLES if r in role_index]
    figure_of, firsts = groups([column(role_index[r]) for r in present], rows)
    keys = {r: column(role_index[r]).take(firsts).to_pylist() for r in present}
    contexts = [
        (
            value_column.header,
            context(value_column, *(keys[r][fkey].strip() if r in keys else "" for r in FIGURE_ROLES), catalogue),
        )
        for fkey in range(len(firsts))
        for value_column in values
    ]
    before = [x.before_number for _, x in contexts]
    after = [x.after_number for _, x in contexts]

    # The value cells, a block of rows at a time in two threads.
    step = max(1, BLOCK_CELLS // len(values))
    read = functools.partial(
        read_cells,
        value_columns=[column(c.index) for c in values],
        row_ok=region_ok[region_of],
        context_of_row=figure_of * len(values),
        exponent=np.array([0 if x.exponent is None else x.exponent for _, x in contexts], dtype=np.int64),
        fine=np.array([b is None and a is None for b, a in zip(before, after, strict=True)], dtype=bool),
        reading=functools.cache(read_value),  # shared: a text is read once
        step=step,
    )
    with ThreadPoolExecutor(2) as pool:
        blocks = list(pool.map(read, range(0, max(rows, 1), step)))
    parsed.empty_cells = sum(b.empty_cells for b in blocks)

    # The strings of a figure are entries of its region's and its context's: dictionary-encoded.
    figure_row = np.concatenate([b.figure_row for b in blocks])
    figure_context = np.concatenate([b.figure_context for b in blocks])
    region_at = pa.array(region_of[figure_row].astype(np.int32))
    context_at = pa.array(figure_context.astype(np.int32))

    def of_contexts(texts: list[str | None]) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(context_at, pa.array(texts, text))

    years = np.array([0 if x.year is None else x.year for _, x in contexts], dtype=np.int32)
    parsed.observation_table = pa.table(
        [
            pa.array(source_rows.astype(np.int32)[figure_row]),
            *(pa.DictionaryArray.from_arrays(region_at, array) for array in region[:width_of_region]),
            pa.array(years[figure_context]),
            of_contexts([x.indicator for _, x in contexts]),
            pa.array(np.concatenate([b.value for b in blocks])),
            of_contexts([x.base_unit for _, x in contexts]),
            pa.concat_arrays([b.original_value for b in blocks]),
            of_contexts([x.unit for _, x in contexts]),
        ],
        schema=OBSERVATION_SCHEMA,
    )

    # Quarantine: rows longer than the header, rows naming no usable region, cells that are no figure.
    quarantine = [
        pa.table(
            {
                "source_row": pa.array([r[0] for r in ragged], pa.int64()),
                "position": pa.array([0] * len(ragged), pa.int64()),
                "column_name": pa.nulls(len(ragged), text),
                "raw_value": pa.array([r[1] for r in ragged], text),
                "reason": pa.array([r[2] for r in ragged], text),
            }
        )
    ]
    bad_rows = np.flatnonzero(~region_ok[region_of])
    if len(bad_rows):
        # a blank row names no region but is no problem either
        column_of, value_of, reason_of = region[width_of_region:]
        named = pc.equal(column_of.take(region_of[bad_rows]), "name").to_numpy(zero_copy_only=False)
        blank = np.ones(len(bad_rows), dtype=bool)
        for i in range(width):
            trimmed = pc.utf8_trim(column(i).take(bad_rows), WHITESPACE)
            blank &= pc.equal(trimmed, "").to_numpy(zero_copy_only=False)
        bad_rows = bad_rows[~(named & blank)]
        at = region_of[bad_rows]
        quarantine.append(
            pa.table(
                {
                    "source_row": pa.array(source_rows[bad_rows]),
                    "position": pa.array(np.zeros(len(bad_rows), dtype=np.int64)),
                    "column_name": column_of.take(at),
                    "raw_value": value_of.take(at),
                    "reason": reason_of.take(at),
                }
            )
        )
    if "boundary" in role_index:
        boundary = next(c for c in columns if c.role == "boundary")
        rows_ok = region_ok[region_of]
        parsed.boundary_table, problems = read_boundaries(
            column(boundary.index), boundary.header, rows_ok, region_of, region, source_rows
        )
        quarantine.append(problems)
    # a cell's problem: the one found before its value is read, else its value's, else the one after
    problem_context = np.concatenate([b.problem_context for b in blocks])
    problem_at = pa.array(problem_context)
    quarantine.append(
        pa.table(
            {
                "source_row": pa.array(source_rows[np.concatenate([b.problem_row for b in blocks])]),
                "position": pa.array(problem_context % len(values) + 1),
                "column_name": pa.array([header for header, _ in contexts], text).take(problem_at),
                "raw_value": pa.concat_arrays([b.raw_value for b in blocks]),
                "reason": pc.coalesce(
                    pa.array(before, text).take(problem_at),
                    pa.concat_arrays([b.value_problem for b in blocks]),
                    pa.array(after, text).take(problem_at),
                ),
            }
        )
    )
    table = pa.concat_tables(quarantine)
    if table.num_rows:
        table = table.sort_by([("source_row", "ascending"), ("position", "ascending")])
    parsed.quarantine_table = table.drop_columns(["position"]).cast(QUARANTINE_SCHEMA)


def context(column: Column, indicator_text: str, unit_text: str, year_text: str, catalogue: Catalogue) -> Context:
    """What the cells of ``column`` mean in a row whose indicator, unit and year cells hold these texts."""
    indicator = column.indicator
    unit = column.unit or unit_text or None
    if indicator is None:
        name, unit_in_label = split_label_unit(normalise_label(indicator_text))
        indicator = catalogue.parse(name)
        unit = unit or unit_in_label
        if indicator is None:
            return Context(before_number=catalogue.unknown(indicator_text))
    unit = unit or catalogue.default_unit(indicator)
    if not unit:
        return Context(before_number=f"no unit for indicator {indicator}")
    try:
        year = column.year if column.year is not None else _year(year_text)
    except ValueProblem as exc:
        return Context(before_number=str(exc))
    try:
        base, factor = catalogue.base_unit_of(unit, indicator)
    except ValueProblem as exc:
        return Context(after_number=str(exc), indicator=indicator, unit=unit, year=year)
    return Context(None, None, indicator, unit, year, base, factor.adjusted())


def _year(text: str) -> int:
    match = YEAR_HEADER.fullmatch(normalise_label(text).removesuffix(".0"))
    if not match or int(match.group(1)) not in YEAR_RANGE:
        raise ValueProblem(f"not a year between {YEAR_RANGE.start} and {YEAR_RANGE.stop - 1}: {text!r}")
    return int(match.group(1))


def _region_code(text: str) -> str | None:
    """6-digit administrative code; 2- and 4-digit forms are padded, 9/12-digit ones cut."""
    code = normalise_label(text).removesuffix(".0")
    if not code:
        return None
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValueProblem(f"not an administrative code: {text!r}")
    return code[:6].ljust(6, "0")
