"""The README's analyst guide: every example query runs and returns the answer the README states."""

import re

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import PROJECT_ROOT

EXAMPLE = re.compile(r"^### (?P<title>.+?)\n.*?```sql\n(?P<sql>.*?)```\n\n(?P<answer>(?:\|[^\n]*\n)+)", re.M | re.S)


def analyst_guide_examples() -> list[tuple[str, str, str]]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    guide = readme.split("\n## Analyst guide\n", 1)[1].split("\n## ", 1)[0]
    return [(m["title"], m["sql"], m["answer"]) for m in EXAMPLE.finditer(guide)]


def test_the_guide_asks_at_least_six_questions():
    titles = [title for title, _, _ in analyst_guide_examples()]
    assert len(titles) >= 6, titles


@pytest.mark.parametrize(("title", "sql", "answer"), analyst_guide_examples(), ids=lambda v: v[:40])
def test_each_example_query_returns_the_answer_the_readme_states(published_default, monkeypatch, title, sql, answer):
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    result = CliRunner().invoke(app, ["query", sql, "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output == answer, f"{title}: the README's answer is out of date"


@pytest.mark.parametrize(
    "statement", ["drop table marts.dim_city", "insert into marts.dim_cluster select * from marts.dim_cluster"]
)
def test_query_refuses_writes_whatever_the_output_format(published_default, monkeypatch, tmp_path, statement):
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    for options in ([], ["-f", "csv"], ["-f", "parquet", "-o", str(tmp_path / "x.parquet")]):
        result = CliRunner().invoke(app, ["query", statement, *options])
        assert result.exit_code == 1 and "read-only" in result.output and "refused" in result.output
    assert published_default.serving("select count(*) from marts.dim_cluster") == [(3,)]
