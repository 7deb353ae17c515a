"""Indicators (the catalogue, read from the indicators seed) and units of the statistics, and conversion
to base units (yuan, persons, households, percent, km2)."""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path


@dataclass(frozen=True)
class Indicator:
    name: str
    base_unit: str
    description: str
    additive: bool = True  # a cluster's figure is the sum of its members' (GDP, population; not growth)
    default_unit: str | None = None  # the unit of a column that names none (a census column counts persons)


@dataclass(frozen=True)
class Catalogue:
    """The indicators the warehouse knows and every spelling of each (dbt_project/seeds/indicators.csv)."""

    indicators: Mapping[str, Indicator]
    aliases: Mapping[str, str]  # normalised spelling -> indicator
    sha256: str = ""  # of the file it was read from: a refresh reads every table again when it changes

    @property
    def additive(self) -> list[str]:
        """The indicators a cluster's figure sums (levels: GDP, population, sales …, not rates)."""
        return [i.name for i in self.indicators.values() if i.additive]

    def parse(self, label: str) -> str | None:
        return self.aliases.get(normalise_label(label))

    def default_unit(self, indicator: str) -> str | None:
        return self.indicators[indicator].default_unit

    @functools.cached_property
    def title_names(self) -> list[str]:
        """The Chinese spellings looked for in a table's title, longest first (年末常住人口 before 人口)."""
        return sorted((a for a in self.aliases if len(a) >= 4 and not a.isascii()), key=len, reverse=True)

    def unknown(self, text: str) -> str:
        """The quarantine reason of an indicator no spelling names, with the closest known spellings."""
        close = difflib.get_close_matches(normalise_label(text), list(self.aliases), n=3, cutoff=0.4)
        if close:
            return f"unknown indicator {text!r}; closest known: " + ", ".join(
                f"{alias} ({self.aliases[alias]})" for alias in close
            )
        return f"unknown indicator {text!r}; known: {', '.join(self.indicators)}"

    def base_unit_of(self, unit: str, indicator: str) -> tuple[str, Decimal]:
        """(base unit, factor) that convert figures given in ``unit`` for ``indicator``; ValueProblem if none."""
        key = normalise_label(unit)
        if key not in UNITS:
            raise ValueProblem(f"unknown unit {unit!r}; known: {', '.join(sorted(UNITS))}")
        base, factor = UNITS[key]
        expected = self.indicators[indicator].base_unit
        if base != expected:
            raise ValueProblem(f"unit {unit!r} measures {base}, but indicator {indicator} is in {expected}")
        return base, factor

    def to_base_unit(self, value: Decimal, unit: str, indicator: str) -> tuple[float, str]:
        """Convert ``value`` given in ``unit`` to the indicator's base unit; exact for decimal inputs."""
        base, factor = self.base_unit_of(unit, indicator)
        return float(value * factor), base

    def with_indicators(self, extra: Iterable[Indicator]) -> Catalogue:
        """This catalogue and ``extra``, each known by its name."""
        extra = list(extra)
        return Catalogue(
            {**self.indicators, **{i.name: i for i in extra}},
            {**self.aliases, **{i.name: i.name for i in extra}},
            self.sha256,
        )


def read_catalogue(path: Path) -> Catalogue:
    """The catalogue in ``path`` (the indicators seed: indicator, aliases separated by |, base_unit,
    default_unit, additive, description)."""
    data = path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    indicators, aliases = {}, {}
    for row in rows:
        name = row["indicator"].strip()
        if row["base_unit"] not in BASE_UNITS:
            raise ValueError(
                f"{path}: indicator {name}: base unit {row['base_unit']!r} is none of {sorted(BASE_UNITS)}"
            )
        indicators[name] = Indicator(
            name,
            row["base_unit"],
            row["description"],
            additive=row["additive"].strip().lower() == "true",
            default_unit=row["default_unit"].strip() or None,
        )
        for alias in {name, row["name_zh"], *row["aliases"].split("|")}:
            if alias.strip():
                known = aliases.setdefault(normalise_label(alias), name)
                if known != name:
                    raise ValueError(f"{path}: {alias!r} names both {known} and {name}")
    return Catalogue(indicators, aliases, hashlib.sha256(data).hexdigest())


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
    "百万人民币": ("yuan", Decimal(10) ** 6),
    "户": ("households", Decimal(1)),
    "households": ("households", Decimal(1)),
    "万户": ("households", Decimal(10) ** 4),
    "平方公里": ("km2", Decimal(1)),
    "平方千米": ("km2", Decimal(1)),
    "km2": ("km2", Decimal(1)),
    "万平方公里": ("km2", Decimal(10) ** 4),
}
BASE_UNITS = {base for base, _ in UNITS.values()}


class ValueProblem(ValueError):
    """A cell that cannot become a figure; the message is the quarantine reason."""


def normalise_label(text: str) -> str:
    """NFKC, lower case, no spaces: '地区生产总值（亿元）' and '地区生产总值(亿元)' compare equal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def split_label_unit(label: str) -> tuple[str, str | None]:
    """'gdp(亿元)' -> ('gdp', '亿元'); 'gdp' -> ('gdp', None). Expects a normalised label."""
    match = re.fullmatch(r"(.+?)[(\[](.+?)[)\]]", label)
    return (match.group(1), match.group(2)) if match else (label, None)


# Commas in a number are thousands separators only: 1,234,567.8, never 1,0 (which is not 10).
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def parse_number(text: str) -> Decimal:
    cleaned = normalise_label(text)
    if "," in cleaned:
        if not _THOUSANDS.fullmatch(cleaned):
            raise ValueProblem(f"not a number: {text!r} (a comma that does not separate thousands)")
        cleaned = cleaned.replace(",", "")
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
