"""Generate county-level statistics tables (about 2,900 units × 30 years × 20 indicators) for benchmarks.

Usage::

    python -m benchmarks.generate_statistics OUT_DIR [--units 2900] [--years 30] [--indicators 20] [--seed 0]

writes ``OUT_DIR/statistics/counties_long.csv`` (``admin_code,region_name,province_name,year,indicator,
value,unit,source``: one row per unit × year × indicator) and ``OUT_DIR/statistics/counties_wide.csv``
(``region_code,region_name,province_name,indicator,unit,<year>年…``: one row per unit × indicator, one
column per year). Both hold the same figures.

Indicators the catalogue (``dbt_project/seeds/indicators.csv``) does not know are ordinary county
statistics (investment, fiscal revenue …) that a user would add there; :func:`benchmark_catalogue` adds
them to a catalogue for the benchmark only, so every generated figure is parsed rather than quarantined as
an unknown indicator.

Quirks, at fixed rates so the parser's slow paths are exercised too: units that differ from the
indicator's usual one (GDP in 万元 instead of 亿元), empty cells (``""``, ``-``, ``…``), full-width
digits (``１２３．４``), and values that are not numbers (``约12.5``, ``12.3.4``), which are quarantined.
Deterministic for a seed; standard library only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.statistics.units import Catalogue

__all__ = ["BENCHMARK_INDICATORS", "QUIRK_RATES", "benchmark_catalogue", "generate_statistics"]

# (indicator, base unit, usual unit, alternative unit, typical size in the usual unit)
_INDICATORS: tuple[tuple[str, str, str, str, float], ...] = (
    ("gdp", "yuan", "亿元", "万元", 300.0),
    ("gdp_growth_real", "percent", "%", "%", 7.0),
    ("population_year_end", "persons", "万人", "人", 50.0),
    ("population_census", "persons", "人", "万人", 500000.0),
    ("fixed_asset_investment", "yuan", "亿元", "万元", 200.0),
    ("retail_sales", "yuan", "亿元", "万元", 120.0),
    ("fiscal_revenue", "yuan", "万元", "亿元", 200000.0),
    ("fiscal_expenditure", "yuan", "万元", "亿元", 350000.0),
    ("exports", "yuan", "万元", "亿元", 150000.0),
    ("imports", "yuan", "万元", "亿元", 90000.0),
    ("household_deposits", "yuan", "亿元", "万元", 250.0),
    ("loans", "yuan", "亿元", "万元", 280.0),
    ("primary_industry", "yuan", "亿元", "万元", 40.0),
    ("secondary_industry", "yuan", "亿元", "万元", 130.0),
    ("tertiary_industry", "yuan", "亿元", "万元", 130.0),
    ("urban_income", "yuan", "元", "万元", 35000.0),
    ("rural_income", "yuan", "元", "万元", 16000.0),
    ("employment", "persons", "万人", "人", 30.0),
    ("students", "persons", "人", "万人", 60000.0),
    ("urbanisation_rate", "percent", "%", "%", 55.0),
)
BENCHMARK_INDICATORS = tuple(name for name, *_ in _INDICATORS)
QUIRK_RATES = {"alternative_unit": 0.01, "empty": 0.005, "full_width": 0.001, "not_a_number": 0.0005}
_EMPTY = ("", "-", "…")
_BAD = ("约12.5", "12.3.4")
_FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
_PROVINCES = (
    ("11", "北京市"), ("12", "天津市"), ("13", "河北省"), ("14", "山西省"), ("15", "内蒙古自治区"),
    ("21", "辽宁省"), ("22", "吉林省"), ("23", "黑龙江省"), ("31", "上海市"), ("32", "江苏省"),
    ("33", "浙江省"), ("34", "安徽省"), ("35", "福建省"), ("36", "江西省"), ("37", "山东省"),
    ("41", "河南省"), ("42", "湖北省"), ("43", "湖南省"), ("44", "广东省"), ("45", "广西壮族自治区"),
    ("46", "海南省"), ("50", "重庆市"), ("51", "四川省"), ("52", "贵州省"), ("53", "云南省"),
    ("54", "西藏自治区"), ("61", "陕西省"), ("62", "甘肃省"), ("63", "青海省"), ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
)  # fmt: skip
_SYLLABLES = "安宁平阳山河东西南北新城江湖清泉林丰华兴德永昌兰武宣长乐通源"
_SUFFIXES = ("县", "县", "县", "区", "区", "市")


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    province: str


def benchmark_catalogue(catalogue: Catalogue) -> Catalogue:
    """``catalogue`` and the benchmark's indicators it does not know, for the benchmark only."""
    from orchestration.statistics.units import Indicator

    return catalogue.with_indicators(
        Indicator(name, base, f"benchmark indicator {name}")
        for name, base, *_ in _INDICATORS
        if name not in catalogue.indicators
    )


def _units(count: int, rng: random.Random) -> list[_Unit]:
    out: list[_Unit] = []
    per_province = -(-count // len(_PROVINCES))
    for prefix, province in _PROVINCES:
        for k in range(per_province):
            if len(out) == count:
                return out
            city, county = divmod(k, 20)
            name = "".join(rng.sample(_SYLLABLES, 2)) + rng.choice(_SUFFIXES)
            out.append(_Unit(f"{prefix}{city + 1:02d}{county + 1:02d}", name, province))
    return out


def _cell(rng: random.Random, size: float, year_index: int, unit: str, usual: str) -> str:
    r = rng.random()
    if r < QUIRK_RATES["empty"]:
        return rng.choice(_EMPTY)
    r -= QUIRK_RATES["empty"]
    if r < QUIRK_RATES["not_a_number"]:
        return rng.choice(_BAD)
    value = size * (1.06**year_index) * rng.uniform(0.3, 3.0)
    if unit != usual:  # the same size written in the other unit
        scale = {"亿元": 1e8, "万元": 1e4, "元": 1.0, "万人": 1e4, "人": 1.0, "%": 1.0}
        value = value * scale[usual] / scale[unit]
    text = f"{value:.2f}" if unit not in ("人",) else f"{value:.0f}"
    if rng.random() < QUIRK_RATES["full_width"] / (1 - QUIRK_RATES["empty"] - QUIRK_RATES["not_a_number"]):
        text = text.translate(_FULL_WIDTH)
    return text


def generate_statistics(
    out_dir: Path, units: int = 2900, years: int = 30, indicators: int = 20, seed: int = 0
) -> dict[str, Path]:
    """Write the long and the wide table into ``out_dir/statistics/``; return their paths by layout."""
    if not 1 <= indicators <= len(_INDICATORS):
        raise ValueError(f"indicators must be between 1 and {len(_INDICATORS)}")
    rng = random.Random(f"yangtze-statistics:{seed}")
    folder = Path(out_dir) / "statistics"
    folder.mkdir(parents=True, exist_ok=True)
    year_list = list(range(2021 - years, 2021))
    chosen = _INDICATORS[:indicators]
    source = "县域统计年鉴（合成数据）"
    long_path, wide_path = folder / "counties_long.csv", folder / "counties_wide.csv"
    with open(long_path, "w", encoding="utf-8", newline="") as long, open(wide_path, "w", encoding="utf-8") as wide:
        long.write("admin_code,region_name,province_name,year,indicator,value,unit,source\n")
        wide.write("region_code,region_name,province_name,indicator,unit," + ",".join(f"{y}年" for y in year_list))
        wide.write("\n")
        for unit in _units(units, rng):
            head = f"{unit.code},{unit.name},{unit.province}"
            for name, _, usual, alternative, size in chosen:
                written = alternative if rng.random() < QUIRK_RATES["alternative_unit"] else usual
                cells = [_cell(rng, size, i, written, usual) for i in range(years)]
                wide.write(f"{head},{name},{written},{','.join(cells)}\n")
                long.writelines(
                    f"{head},{year},{name},{cell},{written},{source}\n"
                    for year, cell in zip(year_list, cells, strict=True)
                )
    return {"long": long_path, "wide": wide_path}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="raw root; tables go to OUT_DIR/statistics/")
    parser.add_argument("--units", type=int, default=2900)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    paths = generate_statistics(args.out_dir, args.units, args.years, args.indicators, args.seed)
    for layout, path in paths.items():
        print(f"{layout}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
