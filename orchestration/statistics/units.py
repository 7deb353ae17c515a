"""Indicators and units of the statistics, and conversion to base units (yuan, persons, percent)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Indicator:
    name: str
    base_unit: str
    description: str


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        Indicator("gdp", "yuan", "Gross regional/domestic product, current prices"),
        Indicator("gdp_growth_real", "percent", "GDP growth over the previous year at comparable prices"),
        Indicator("population_year_end", "persons", "Year-end resident population (常住人口)"),
        Indicator("population_census", "persons", "Resident population counted by a national census"),
    )
}

# Header or cell spellings (after normalise_label) of each indicator.
INDICATOR_ALIASES: dict[str, str] = {
    **{a: "gdp" for a in ("gdp", "地区生产总值", "国内生产总值", "生产总值", "gdp总量", "grossdomesticproduct")},
    **{
        a: "gdp_growth_real"
        for a in (
            "gdp_growth_real",
            "gdp增速",
            "gdp增长率",
            "地区生产总值增速",
            "地区生产总值增长率",
            "国内生产总值增长率",
            "实际增速",
            "经济增速",
            "gdpgrowth",
            "gdp_growth",
        )
    },
    **{
        a: "population_year_end"
        for a in ("population_year_end", "population", "常住人口", "年末常住人口", "年末常住人口数", "人口")
    },
    **{a: "population_census" for a in ("population_census", "普查人口", "人口普查常住人口", "popu")},
}

# unit spelling -> (base unit, factor to the base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "元": ("yuan", Decimal(1)),
    "yuan": ("yuan", Decimal(1)),
    "cny": ("yuan", Decimal(1)),
    "万元": ("yuan", Decimal(10) ** 4),
    "10kyuan": ("yuan", Decimal(10) ** 4),
    "百万元": ("yuan", Decimal(10) ** 6),
    "millionyuan": ("yuan", Decimal(10) ** 6),
    "亿元": ("yuan", Decimal(10) ** 8),
    "100millionyuan": ("yuan", Decimal(10) ** 8),
    "万亿元": ("yuan", Decimal(10) ** 12),
    "trillionyuan": ("yuan", Decimal(10) ** 12),
    "人": ("persons", Decimal(1)),
    "persons": ("persons", Decimal(1)),
    "万人": ("persons", Decimal(10) ** 4),
    "10kpersons": ("persons", Decimal(10) ** 4),
    "%": ("percent", Decimal(1)),
    "percent": ("percent", Decimal(1)),
}

# A census column without a unit counts persons.
DEFAULT_UNITS = {"population_census": "人"}


class ValueProblem(ValueError):
    """A cell that cannot become a figure; the message is the quarantine reason."""


def normalise_label(text: str) -> str:
    """NFKC, lower case, no spaces: '地区生产总值（亿元）' and '地区生产总值(亿元)' compare equal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def split_label_unit(label: str) -> tuple[str, str | None]:
    """'gdp(亿元)' -> ('gdp', '亿元'); 'gdp' -> ('gdp', None). Expects a normalised label."""
    match = re.fullmatch(r"(.+?)[(\[](.+?)[)\]]", label)
    return (match.group(1), match.group(2)) if match else (label, None)


def parse_indicator(label: str) -> str | None:
    return INDICATOR_ALIASES.get(normalise_label(label))


def unknown_indicator(text: str) -> str:
    """The quarantine reason of an indicator no alias names, with the closest known spellings."""
    close = difflib.get_close_matches(normalise_label(text), INDICATOR_ALIASES, n=3, cutoff=0.4)
    if close:
        return f"unknown indicator {text!r}; closest known: " + ", ".join(
            f"{alias} ({INDICATOR_ALIASES[alias]})" for alias in close
        )
    return f"unknown indicator {text!r}; known: {', '.join(INDICATORS)}"


def parse_number(text: str) -> Decimal:
    cleaned = normalise_label(text).replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueProblem(f"not a finite number: {text!r}")
    if value and value.adjusted() > MAX_MAGNITUDE:  # 1e999999 亿元 would overflow the decimal context
        raise ValueProblem(f"not a plausible figure (over 10^{MAX_MAGNITUDE}): {text!r}")
    return value


MAX_MAGNITUDE = 30  # no statistic in any unit comes near this: a nation's GDP in yuan is about 10^14


def base_unit_of(unit: str, indicator: str) -> tuple[str, Decimal]:
    """(base unit, factor) that convert figures given in ``unit`` for ``indicator``; ValueProblem if none."""
    key = normalise_label(unit)
    if key not in UNITS:
        raise ValueProblem(f"unknown unit {unit!r}; known: {', '.join(sorted(UNITS))}")
    base, factor = UNITS[key]
    expected = INDICATORS[indicator].base_unit
    if base != expected:
        raise ValueProblem(f"unit {unit!r} measures {base}, but indicator {indicator} is in {expected}")
    return base, factor


def to_base_unit(value: Decimal, unit: str, indicator: str) -> tuple[float, str]:
    """Convert ``value`` given in ``unit`` to the indicator's base unit; exact for decimal inputs."""
    base, factor = base_unit_of(unit, indicator)
    return float(value * factor), base
