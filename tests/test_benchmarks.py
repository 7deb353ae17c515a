"""The benchmark's generators produce the quirks they declare, and its entry point runs (never timed here)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.generate_documents import generate
from benchmarks.generate_statistics import BENCHMARK_INDICATORS, QUIRK_RATES, benchmark_catalogue, generate_statistics
from orchestration.raw_files.decoding import RawFile, decode
from orchestration.statistics.reader import parse_statistics_file
from tests.conftest import CATALOGUE


@pytest.fixture
def benchmark_indicators():
    """The catalogue with the benchmark's extra indicators."""
    return benchmark_catalogue(CATALOGUE)


def test_documents_carry_the_declared_quirks(tmp_path):
    paths = generate(tmp_path, 300, seed=0)
    assert [p.name for p in paths] == sorted(p.name for p in (tmp_path / "documents").iterdir())
    encodings = {p: decode(p.read_bytes())[1] for p in paths}
    assert {"utf-8", "gb18030"} <= set(encodings.values())
    assert any(p.suffix == ".html" for p in paths)
    contents = [p.read_bytes() for p in paths]
    assert len(set(contents)) < len(contents)  # exact copies
    texts = [decode(data)[0] for data in contents]
    assert any("点击数" in t for t in texts) and any("亿元" in t for t in texts)
    assert generate(tmp_path / "again", 300, seed=0)[-1].read_bytes() == paths[-1].read_bytes()


def test_statistics_long_and_wide_hold_the_same_figures_and_quirks(tmp_path, benchmark_indicators):
    tables = generate_statistics(tmp_path, units=40, years=30, indicators=20)
    with open(tables["long"], encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40 * 30 * 20
    assert {r["indicator"] for r in rows} == set(BENCHMARK_INDICATORS)
    values = [r["value"] for r in rows]
    assert any(v in ("", "-", "…") for v in values)
    assert any(v in ("约12.5", "12.3.4") for v in values)
    assert any("．" in v for v in values)
    assert any(len({r["unit"] for r in rows if r["indicator"] == i}) == 2 for i in BENCHMARK_INDICATORS)
    parsed = {k: parse_statistics_file(RawFile(p, p.read_bytes()), benchmark_indicators) for k, p in tables.items()}
    assert parsed["long"].layout == "long" and parsed["wide"].layout == "wide_years"

    def figures(result):
        return sorted((o["region_code"], o["year"], o["indicator"], o["value"]) for o in result.observations)

    assert figures(parsed["long"]) == figures(parsed["wide"])
    assert len(parsed["long"].observations) + len(parsed["long"].quarantine) + parsed["long"].empty_cells == len(rows)
    assert {q["reason"].split(":")[0] for q in parsed["long"].quarantine} == {"not a number"}
    assert QUIRK_RATES["not_a_number"] > 0


def test_readme_queries_come_from_the_analyst_guide(tmp_path):
    from benchmarks.run import FALLBACK_QUERIES, readme_queries

    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n```sql\nselect 0\n```\n## Analyst guide\n### GDP\n```sql\nselect 1;\n```\n"
        "```python\nprint()\n```\n### More\n```sql\nselect 2\n```\n## Other\n```sql\nselect 3\n```\n",
        encoding="utf-8",
    )
    assert readme_queries(readme)[0] == ["select 1;", "select 2"]
    readme.write_text("# x\n```sql\nselect 0\n```\n", encoding="utf-8")
    queries, source = readme_queries(readme)
    assert queries == list(FALLBACK_QUERIES) and "no SQL" in source


def test_bench_entry_point_runs_at_a_tiny_size(tmp_path, benchmark_indicators, capsys):
    from benchmarks.run import main

    out = tmp_path / "RESULTS.md"
    main(
        ["--sizes", "30", "--repeats", "1", "--units", "5", "--years", "3", "--no-refresh"]
        + ["--workdir", str(tmp_path / "work"), "--write", str(out)]
    )
    text = out.read_text(encoding="utf-8")
    assert "| 30 |" in text and "| long | 300 |" in text and "| wide | 100 |" in text
    assert "commit" in text and "cores" in text
    assert Path(tmp_path / "work" / "documents_30" / "documents").is_dir()
