"""The README and the guides it links to: every link leads somewhere, every code block runs as written, and
every example query of the analyst guide returns the answer the guide states."""

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import PROJECT_ROOT, load_settings

EXAMPLE = re.compile(r"^### (?P<title>.+?)\n.*?```sql\n(?P<sql>.*?)```\n\n(?P<answer>(?:\|[^\n]*\n)+)", re.M | re.S)


GUIDE = PROJECT_ROOT / "docs" / "analyst-guide.md"
PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
COMMAND = re.compile(r"\n(?=\.venv/bin/|make )")  # a shell block's commands; a quoted SQL may span lines
# where the pages say the checkout is (docs/bi-tools.md)
CHECKOUT = "/srv/yangtze"
# commands too long to run here, run by the tests named; here their options must be the command's
RUN_ELSEWHERE = {
    ("warehouse", "refresh"): "tests/test_cli.py",
    ("warehouse", "docs"): "tests/test_docs.py",
    ("python", "-m"): "tests/test_benchmarks.py (make bench)",
}


def code_blocks() -> list[tuple[str, str, str]]:
    """(page, language, text) of every fenced block of the README and docs/."""
    return [
        (page.relative_to(PROJECT_ROOT).as_posix(), m[1], m[2])
        for page in PAGES
        for m in FENCE.finditer(page.read_text(encoding="utf-8"))
    ]


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
    rows = answer.splitlines()[2:]
    assert len(set(rows)) == len(rows) and "| -0.0 |" not in answer, f"{title}: a row twice, or -0.0"


@pytest.mark.parametrize(
    "statement", ["drop table marts.dim_city", "insert into marts.dim_cluster select * from marts.dim_cluster"]
)
def test_query_refuses_writes_whatever_the_output_format(published_default, monkeypatch, tmp_path, statement):
    monkeypatch.setenv("WAREHOUSE_DIR", str(published_default.settings.warehouse_dir))
    for options in ([], ["-f", "csv"], ["-f", "parquet", "-o", str(tmp_path / "x.parquet")]):
        result = CliRunner().invoke(app, ["query", statement, *options])
        assert result.exit_code == 1 and "read-only" in result.output and "refused" in result.output
    assert published_default.serving("select count(*) from marts.dim_cluster") == [(3,)]


@pytest.fixture
def checkout(published_default, tmp_path, monkeypatch):
    """A folder laid out as a checkout for the pages' snippets (warehouse/serving.duckdb, the published
    file), the current folder, with WAREHOUSE_DIR and DAGSTER_HOME pointing into it."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    (warehouse / "serving.duckdb").symlink_to(published_default.settings.serving_path)
    (tmp_path / "dagster_home").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path


def run_shell_block(block: str) -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    for command in COMMAND.split(block.strip()):
        words = shlex.split(command, comments=True)
        program = words[0].rsplit("/", 1)[-1]
        if program == "make":
            assert re.search(rf"^{words[1]}:", makefile, re.M), f"no make target {words[1]}"
        elif (program, words[1]) in RUN_ELSEWHERE:
            argv = [sys.executable, *words[1:3]] if program == "python" else [str(PROJECT_ROOT / words[0]), words[1]]
            env = {**os.environ, "COLUMNS": "200"}
            shown = subprocess.run([*argv, "--help"], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
            options = {w.strip("[]") for w in words[len(argv) :] if w.strip("[]").startswith("-")}
            assert shown.returncode == 0 and all(o in shown.stdout for o in options), (command, shown.stdout)
        else:
            assert program == "warehouse", command
            result = CliRunner().invoke(app, words[1:])
            assert result.exit_code == 0, f"{command}: {result.output}"


@pytest.mark.parametrize(("page", "language", "block"), code_blocks(), ids=lambda v: v[:30].replace("\n", " "))
def test_every_code_block_runs_as_written(checkout, page, language, block):
    """Shell commands run (`make` targets and long commands: the target or options exist), SQL runs on the
    published warehouse, Python runs from a checkout, configuration names the published file."""
    served = str(checkout / "warehouse" / "serving.duckdb")
    if language == "sh":
        run_shell_block(block)
    elif language == "sql":
        result = CliRunner().invoke(app, ["query", block, "-f", "csv"])
        assert result.exit_code == 0 and result.output.count("\n") > 1, result.output
    elif language == "python":
        with contextlib.redirect_stdout(io.StringIO()):
            exec(block.replace(CHECKOUT, str(checkout)), {})
    elif language == "yaml":
        assert yaml.safe_load(block)["options"]["filename"].replace(CHECKOUT, str(checkout)) == served
    elif language == "mermaid":
        assert "flowchart" in block  # a diagram: nothing to run
    elif page == "README.md":  # the layout: every folder and file it names is there
        for line in block.splitlines():
            indent = len(line) - len(line.lstrip())
            if indent in (0, 2):
                path = (parent := PROJECT_ROOT / line.split()[0]) if indent == 0 else parent / line.split()[0]
                assert path.exists(), line
    else:  # docs/bi-tools.md: the URL
        url = block.strip().replace(CHECKOUT, str(checkout))
        assert url == load_settings({"WAREHOUSE_DIR": str(checkout / "warehouse")}).sqlalchemy_url
