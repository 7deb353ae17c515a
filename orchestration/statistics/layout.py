"""A published table's layout: where its header is (under a portal export's or a yearbook's lines), what
the lines above and below it say (指标, 单位, 口径, 发布日期, notes), a two-row 指标 × 年份 header made one,
and what each header cell is (a role, a year column, an indicator column), hence the table's layout
(long, wide_years, wide_indicators)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from orchestration.statistics.schema import (
    INDICATOR_YEAR_HEADER,
    ROLE_OF,
    YEAR_HEADER,
    FileProblem,
    ParsedFile,
    Ragged,
)
from orchestration.statistics.units import Catalogue, normalise_label, split_label_unit

_HEADER_SEARCH_ROWS = 20  # a header further down than this is no table's
_META_LINE = re.compile(r"([^:：]{1,8})[:：](.*)")  # 指标：…, 单位：…, 口径：…, 发布日期：…
_NOTE_STARTS = ("注", "备注", "说明", "数据来源", "资料来源", "来源", "source", "note")


def _names_region(header: Sequence[str]) -> bool:
    return any(ROLE_OF.get(normalise_label(cell)) in ("code", "name") for cell in header)


def header_first(loaded: tuple[list[str], pa.Table, Ragged]) -> bool:
    """Whether Arrow's reading is the table: its first line is a whole header naming a region."""
    header, cells, _ = loaded
    below = [cells[f"c{i + 1}"][0].as_py() for i in range(len(header))] if cells.num_rows else []
    return _names_region(header) and not (below and _year_row_under(header, below))


def published_table(
    rows: Iterable[tuple[int, list[str]]], parsed: ParsedFile, catalogue: Catalogue
) -> list[tuple[int, list[str]]]:
    """The rows of a table as people publish it, header first: lines above the header (a portal
    export's 数据库/指标/时间 lines, a yearbook's title and 单位 line) give the file's indicator and unit
    and go to ``parsed.notes``, as do notes and source lines under the table (注：, 数据来源：); a second
    header row of years under merged indicator cells (指标 × 年份) makes one header of ``指标_年份``."""
    rows = list(rows)
    start = next((i for i, (_, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]) if _names_region(cells)), 0)
    for _, cells in rows[:start]:
        line = _line(cells)
        parsed.notes.append(line)
        meta = _META_LINE.fullmatch(normalise_label(line))
        if meta and meta.group(1) == "指标":
            name, unit = split_label_unit(meta.group(2))
            parsed.file_indicator = catalogue.parse(name) or parsed.file_indicator
            parsed.file_unit = unit or parsed.file_unit
        elif meta and meta.group(1) in ("单位", "计量单位"):
            parsed.file_unit = meta.group(2) or parsed.file_unit
        elif meta and ROLE_OF.get(meta.group(1)) in ("vintage", "published_on") and meta.group(2):
            setattr(parsed, f"file_{ROLE_OF[meta.group(1)]}", meta.group(2))
        elif parsed.file_indicator is None:
            title = normalise_label(line)
            parsed.file_indicator = next(
                (catalogue.aliases[a] for a in catalogue.title_names if a in title), parsed.file_indicator
            )
            unit = re.search(r"[(\[](?:单位[:：])?([^()\[\]]+)[)\]]$", title)
            parsed.file_unit = parsed.file_unit or (unit.group(1) if unit else None)
    table = rows[start:]
    if len(table) > 1 and _year_row_under(table[0][1], table[1][1]):
        (number, top), (_, years) = table[0], table[1]
        table = [(number, _combined_header(top, years)), *table[2:]]
    end = len(table)
    while end > 1 and _is_note(table[end - 1][1]):  # notes sit under the table
        end -= 1
    parsed.notes += [_line(cells) for _, cells in table[end:]]
    return table[:end]


def _line(cells: list[str]) -> str:
    """A row above or below a table as one line of text: its filled cells."""
    return " ".join(c.strip() for c in cells if c.strip())


def _is_note(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) == 1 and normalise_label(filled[0]).startswith(_NOTE_STARTS)


def _year_row_under(header: list[str], below: list[str]) -> bool:
    """A row of years under a header with empty (merged) cells: the second row of a 指标 × 年份 header."""
    filled = [i for i, c in enumerate(below) if c.strip()]
    years = [i for i in filled if YEAR_HEADER.fullmatch(normalise_label(below[i]).removesuffix(".0"))]
    merged = any(i >= len(header) or not header[i].strip() for i in years)  # a year under a merged cell
    return len(years) >= 2 and years == filled and merged and _names_region(header)


def _combined_header(top: list[str], years: list[str]) -> list[str]:
    """``指标_年份`` under each merged indicator cell (carried right over the empty cells it spans)."""
    header, carried = [], ""
    for i in range(max(len(top), len(years))):
        cell = top[i].strip() if i < len(top) else ""
        year = normalise_label(years[i]).removesuffix(".0") if i < len(years) else ""
        carried = cell or carried
        year_match = YEAR_HEADER.fullmatch(year)
        header.append(f"{carried}_{year_match.group(1)}" if year_match and carried else cell)
    return header


@dataclass(frozen=True)
class Column:
    """How one header cell is read: a role, or an (indicator, year, unit) value column."""

    index: int
    header: str
    role: str | None = None
    indicator: str | None = None
    year: int | None = None
    unit: str | None = None


def classify(header: list[str], parsed: ParsedFile, catalogue: Catalogue) -> list[Column]:
    columns: list[Column] = []
    for index, text in enumerate(header):
        label = normalise_label(text)
        if label in ROLE_OF:
            columns.append(Column(index, text, role=ROLE_OF[label]))
        elif year := YEAR_HEADER.fullmatch(label):
            # a portal export's or a yearbook's year columns hold the indicator its 指标 or title line names
            columns.append(
                Column(index, text, year=int(year.group(1)), indicator=parsed.file_indicator, unit=parsed.file_unit)
            )
        elif (match := INDICATOR_YEAR_HEADER.fullmatch(label)) and catalogue.parse(split_label_unit(match.group(1))[0]):
            name, unit = split_label_unit(match.group(1))
            indicator = catalogue.parse(name)
            unit = unit or catalogue.default_unit(indicator)
            columns.append(Column(index, text, indicator=indicator, year=int(match.group(2)), unit=unit))
        elif indicator := catalogue.parse(split_label_unit(label)[0]):
            unit = split_label_unit(label)[1] or parsed.file_unit or catalogue.default_unit(indicator)
            columns.append(Column(index, text, indicator=indicator, unit=unit))
        else:
            parsed.ignored_columns.append(text)
    roles = {c.role for c in columns if c.role}
    if not roles & {"code", "name"}:
        raise FileProblem(
            f"no region column (code or name) among headers {header}, nor in a row of the first "
            f"{_HEADER_SEARCH_ROWS}: expected a header such as 地区, 城市, 行政区划代码, region_name or admin_code"
        )
    value_columns = [c for c in columns if c.role is None]
    if "value" in roles and "year" in roles and "indicator" in roles:
        parsed.layout = "long"
    elif value_columns and all(c.year is not None and c.indicator == parsed.file_indicator for c in value_columns):
        if "indicator" not in roles and parsed.file_indicator is None:
            raise FileProblem(
                "wide table with year columns but no indicator: no indicator column, and no 指标 line or "
                "title above the header names one"
            )
        parsed.layout = "wide_years"
    elif value_columns and all(c.indicator is not None for c in value_columns):
        if any(c.year is None for c in value_columns) and "year" not in roles:
            raise FileProblem("indicator columns but no year column")
        parsed.layout = "wide_indicators"
    else:
        raise FileProblem(
            "unrecognised layout: expected year/indicator/value columns, year columns, or indicator "
            f"columns; headers {header}"
        )
    return columns
