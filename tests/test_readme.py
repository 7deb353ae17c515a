"""The README and the guides it links to: every link leads somewhere, the README's first commands run, and
every example query of the analyst guide returns the answer the guide states."""

import re
import shlex

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import PROJECT_ROOT

EXAMPLE = re.compile(r"^### (?P<title>.+?)\n.*?```sql\n(?P<sql>.*?)```\n\n(?P<answer>(?:\|[^\n]*\n)+)", re.M | re.S)


GUIDE = PROJECT_ROOT / "docs" / "analyst-guide.md"
PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


def analyst_guide_examples() -> list[tuple[str, str, str]]:
    guide = GUIDE.read_text(encoding="utf-8").split("\n## Worked questions\n", 1)[1]
    return [(m["title"], m["sql"], m["answer"]) for m in EXAMPLE.finditer(guide)]


def test_every_page_the_readme_and_the_guides_link_to_is_there():
    linked = {(page, target) for page in PAGES for target in LINK.findall(page.read_text(encoding="utf-8"))}
    local = {(page, target) for page, target in linked if not target.startswith(("http://", "https://"))}
    assert len(local) > 10
    assert [f"{page.name} -> {target}" for page, target in local if not (page.parent / target).exists()] == []


def test_the_readme_is_a_landing_page_of_its_first_screens():
    assert len((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 250


def test_the_readmes_first_commands_run_as_written(published_default, monkeypatch):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("\n## A first query\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(c.split("#")[0]) for c in re.split(r"\n(?=\.venv/bin/)", block.strip())]
    assert [c[0] for c in commands] == [".venv/bin/warehouse"] * 3
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    for command in commands:
        result = CliRunner().invoke(app, command[1:])
        assert result.exit_code == 0, f"{command}: {result.output}"
    assert "2020" in CliRunner().invoke(app, commands[0][1:]).output


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
