"""The data-quality rules of every source, in one place: what each rule checks, whether a failure
warns or blocks the refresh, and why.

Each rule is a Great Expectations 1.x expectation run on the pandas frame of one ingested source
(``expectations.py`` runs them). Row rules name the rows that break them: the ingest assets run them as
they write the lake, and every row that breaks one is recorded in the source's rule-failure table; rows
breaking a blocking rule never reach the models (the staging models leave them out, ``mart_quarantine``
lists them). Table rules (schema, types) have no rows: the source's blocking check runs them on the lake
copy, and holds the refresh back when one fails or when a file's share of rows breaking blocking rules
passes ``FILE_FAILURE_THRESHOLD``.

GX is imported only when a rule's expectation is built: it takes seconds, and loading the Dagster
definitions does not need it.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

# A file with more than this share of its rows breaking blocking row rules fails its check.
FILE_FAILURE_THRESHOLD = 0.05


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # schema | required | range | period | code | unit_mixup | duplicate
    severity: str  # block | warn
    why: str
    expectation: Callable[[], object]  # builds the GX expectation
    row_level: bool = True


def row_rules(rules: list[Rule]) -> list[Rule]:
    return [rule for rule in rules if rule.row_level]


def table_rules(rules: list[Rule]) -> list[Rule]:
    return [rule for rule in rules if not rule.row_level]


class _Imported:
    """A module imported when one of its attributes is first used."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self._name), attribute)


gxe = _Imported("great_expectations.expectations")
_row_conditions = _Imported("great_expectations.expectations.row_conditions")


def Column(name: str):  # noqa: N802 - GX's row-condition column, by its GX name
    return _row_conditions.Column(name)


def columns_rule(name: str, columns: list[str], why: str) -> Rule:
    """A blocking table rule: the frame has at least these columns."""
    return Rule(
        name,
        "schema",
        "block",
        why,
        lambda: gxe.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False),
        row_level=False,
    )


def files_within_threshold_rule() -> Rule:
    """The gate on a source's files: the share of each file's rows that break blocking row rules."""
    return Rule(
        "files_within_failure_threshold",
        "threshold",
        "block",
        f"a file with more than {FILE_FAILURE_THRESHOLD:.0%} of its rows breaking blocking rules is held back "
        "whole: so many bad rows mean the file itself is wrong (a shifted column, a wrong unit)",
        lambda: gxe.ExpectColumnValuesToBeBetween(column="failed_share", max_value=FILE_FAILURE_THRESHOLD),
    )


# ---------------------------------------------------------------------------------------------
# Statistics: raw.statistics_observations, one row per figure


def statistics_rules(known_codes: frozenset[str]) -> list[Rule]:
    def city():
        return (Column("region_level") == "city") & (Column("indicator") == "gdp")

    def region():
        return (Column("region_level") != "city") & (Column("indicator") == "gdp")

    def city_population():
        return (Column("region_level") == "city") & Column("indicator").is_in(
            ["population_year_end", "population_census"]
        )

    return [
        columns_rule(
            "columns_and_types",
            [
                "source_file",
                "source_row",
                "region_code",
                "region_name",
                "year",
                "indicator",
                "value",
                "unit",
                "original_value",
                "original_unit",
            ],
            "the models read these columns with these types; anything else is a parser bug",
        ),
        Rule(
            "value_is_a_number",
            "schema",
            "block",
            "values are stored as doubles in base units",
            lambda: gxe.ExpectColumnValuesToBeInTypeList(column="value", type_list=["float64", "Float64", "double"]),
            row_level=False,
        ),
        *(
            Rule(
                f"{column}_present",
                "required",
                "block",
                f"a figure without {column} cannot be placed",
                lambda column=column: gxe.ExpectColumnValuesToNotBeNull(column=column),
            )
            for column in ("year", "indicator", "value", "unit")
        ),
        Rule(
            "region_named",
            "required",
            "block",
            "a figure must say which region it is about",
            lambda: gxe.ExpectColumnValuesToNotBeNull(column="region_key"),
        ),
        Rule(
            "city_gdp_between_1e9_and_1e14_yuan",
            "range",
            "block",
            "no prefecture-level city has GDP below 1 billion or above 100 trillion yuan",
            lambda: gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=1e9, max_value=1e14, row_condition=city()
            ),
        ),
        Rule(
            "province_gdp_between_1e10_and_2e14_yuan",
            "range",
            "block",
            "provincial and national GDP lie between 10 billion and 200 trillion yuan",
            lambda: gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=1e10, max_value=2e14, row_condition=region()
            ),
        ),
        Rule(
            "city_population_between_1e3_and_5e7",
            "range",
            "block",
            "a city has between a thousand (三沙: 2,333 in 2020) and 50 million residents (重庆: about 32 million)",
            lambda: gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=1e3, max_value=5e7, row_condition=city_population()
            ),
        ),
        Rule(
            "growth_between_minus_30_and_30_percent",
            "range",
            "block",
            "real GDP growth outside ±30% is a typo or a level entered as a rate",
            lambda: gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=-30, max_value=30, row_condition=Column("indicator") == "gdp_growth_real"
            ),
        ),
        Rule(
            "year_within_source_period",
            "period",
            "block",
            "a file named for a period (…_2016_2020.csv) holds only those years; none holds future years",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="year_in_period", value_set=[True]),
        ),
        Rule(
            "code_in_city_dimension",
            "code",
            "block",
            "an administrative code must exist (NBS codes, the cluster members or the provinces)",
            lambda: gxe.ExpectColumnValuesToBeInSet(
                column="region_code", value_set=sorted(known_codes), row_condition=Column("region_code").is_not_null()
            ),
        ),
        Rule(
            "no_unit_mixup",
            "unit_mixup",
            "block",
            "a value 10⁴ or 10⁸ times its series' other values was entered in 万/亿 under the wrong header",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="unit_mixup", value_set=[False]),
        ),
        Rule(
            "no_duplicate_figure_in_a_file",
            "duplicate",
            "block",
            "one file gives one figure per region, year and indicator; a second copy is an error",
            lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "region_key", "year", "indicator"]),
        ),
        Rule(
            "source_named",
            "required",
            "warn",
            "figures should name their publication; the file name stands in, so this only warns",
            lambda: gxe.ExpectColumnValuesToNotBeNull(column="publication_given"),
        ),
    ]


MUNICIPALITIES = ("110000", "120000", "310000", "500000")
_PERIOD_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})[_-]((?:19|20)\d{2})(?!\d)")


def prepare_statistics(frame: pd.DataFrame, today: date, levels: Collection[str]) -> pd.DataFrame:
    """The derived columns the statistics rules look at; ``levels`` are the indicators whose series are
    searched for unit mix-ups (the catalogue's additive ones)."""
    frame = frame.copy()
    frame["region_key"] = frame["region_code"].fillna(frame["region_name"])
    code = frame["region_code"].fillna("")
    frame["region_level"] = "city"
    # xx0000 is a province, except the four municipalities, which are cities as well (上海 310000)
    frame.loc[code.str.endswith("0000") & ~code.isin(MUNICIPALITIES), "region_level"] = "province"
    frame.loc[code == "100000", "region_level"] = "nation"
    periods = frame["source_file"].map(_file_period)
    frame["year_in_period"] = [
        (start <= year <= end if start else True) and year <= today.year
        for year, (start, end) in zip(frame["year"], periods, strict=True)
    ]
    frame["unit_mixup"] = unit_mixups(frame, levels)
    frame["publication_given"] = frame["publication"].where(
        frame["publication"] != frame["source_file"].map(lambda p: Path(p).name)
    )
    return frame


def _file_period(path: str) -> tuple[int | None, int | None]:
    match = _PERIOD_IN_NAME.search(Path(path).stem)
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def unit_mixups(frame: pd.DataFrame, levels: Collection[str]) -> list[bool]:
    """True where a level (an indicator of ``levels``: GDP, population, sales …) is about 10⁴ or 10⁸ times,
    or a 10⁴th or 10⁸th of, the median of the other values of its series (region and indicator, across
    files and years)."""
    flags = [False] * len(frame)
    levels = frame[frame["indicator"].isin(list(levels))]
    for _, series in levels.groupby(["region_key", "indicator"]):
        if len(series) < 2:
            continue
        values = series["value"].tolist()
        for position, (index, value) in enumerate(zip(series.index, values, strict=True)):
            others = sorted(v for i, v in enumerate(values) if i != position and v > 0)
            if value <= 0 or not others:
                continue
            median = others[len(others) // 2]
            off = math.log10(value / median)
            if any(abs(off - power) < 0.7 for power in (4, 8, -4, -8)):
                flags[frame.index.get_loc(index)] = True
    return flags


# ---------------------------------------------------------------------------------------------
# Documents: raw.documents, one row per document


def document_rules() -> list[Rule]:
    return [
        columns_rule(
            "columns_present",
            ["document_id", "source_file", "text_chars", "paragraph_count", "published_on"],
            "the models read these columns",
        ),
        Rule(
            "document_id_present",
            "required",
            "block",
            "every row of every document table hangs on it",
            lambda: gxe.ExpectColumnValuesToNotBeNull(column="document_id"),
        ),
        Rule(
            "has_text_after_cleaning",
            "range",
            "block",
            "a document with no text left is not a document",
            lambda: gxe.ExpectColumnValuesToBeBetween(column="text_chars", min_value=1),
        ),
        Rule(
            "published_between_1949_and_today",
            "period",
            "block",
            "a publication date in the future or before 1949 was misread and would mislead every date filter",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="published_in_range", value_set=[True]),
        ),
        Rule(
            "one_row_per_file",
            "duplicate",
            "block",
            "each file is parsed once; two rows would double its claims (checked on the whole lake copy)",
            lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["document_id", "source_file"]),
            row_level=False,
        ),
        Rule(
            "complete_text",
            "range",
            "warn",
            "a document cut off mid-sentence is still worth its claims, but readers should know",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="is_truncated", value_set=[False]),
        ),
    ]


def prepare_documents(frame: pd.DataFrame, today: date) -> pd.DataFrame:
    frame = frame.copy()
    published = pd.to_datetime(frame["published_on"], errors="coerce")
    frame["published_in_range"] = published.isna() | (
        (published >= pd.Timestamp(1949, 1, 1)) & (published <= pd.Timestamp(today))
    )
    return frame


# ---------------------------------------------------------------------------------------------
# Reference: raw.admin_divisions, one row per division and level


def reference_rules() -> list[Rule]:
    return [
        columns_rule(
            "columns_present", ["level", "code", "name", "province_code"], "the city dimension reads these columns"
        ),
        Rule(
            "code_is_six_digits",
            "code",
            "block",
            "codes join the statistics as 6-digit strings",
            lambda: gxe.ExpectColumnValuesToMatchRegex(column="code", regex=r"^\d{6}$"),
        ),
        Rule(
            "name_present",
            "required",
            "block",
            "a division without a name cannot resolve names",
            lambda: gxe.ExpectColumnValuesToNotBeNull(column="name"),
        ),
        Rule(
            "level_known",
            "range",
            "block",
            "the dimension keeps province, city and area levels only",
            lambda: gxe.ExpectColumnValuesToBeInSet(column="level", value_set=["province", "city", "area"]),
        ),
        Rule(
            "code_unique_per_level",
            "duplicate",
            "block",
            "two rows with one code and level would double a city",
            lambda: gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "level", "code"]),
        ),
    ]
