"""The layout the README's architecture promises: plain code that knows no Dagster and no configuration,
no private Dagster modules anywhere, and definitions.py as wiring only."""

from __future__ import annotations

import ast
from pathlib import Path

from orchestration.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "orchestration"
PLAIN_CODE = ["raw_files", "lake", "statistics", "documents", "reference", "quality", "serving"]


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def imported(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_plain_code_imports_neither_dagster_nor_the_configuration():
    for path in python_files(*(PACKAGE / name for name in PLAIN_CODE)):
        modules = imported(path)
        offending = {m for m in modules if m.split(".")[0] in ("dagster", "dagster_dbt")}
        offending |= {m for m in modules if m.startswith(("orchestration.config", "orchestration.defs"))}
        assert not offending, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(offending)}"
        text = path.read_text(encoding="utf-8")
        assert "environ" not in text and "getenv" not in text, f"{path.relative_to(PROJECT_ROOT)} reads the environment"


def test_no_private_dagster_module_is_imported():
    for path in python_files(PACKAGE, PROJECT_ROOT / "tests", PROJECT_ROOT / "benchmarks"):
        private = {m for m in imported(path) if m.startswith(("dagster._", "dagster_dbt._"))}
        assert not private, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(private)}"


def test_definitions_is_wiring_only():
    tree = ast.parse((PACKAGE / "definitions.py").read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.If | ast.For | ast.While | ast.Try)]
    assert imported(PACKAGE / "definitions.py") <= {"pathlib", "dagster"}


def test_only_the_configuration_reads_the_environment():
    readers = [
        path.relative_to(PROJECT_ROOT)
        for path in python_files(PACKAGE)
        if "os.environ" in path.read_text(encoding="utf-8") or "getenv" in path.read_text(encoding="utf-8")
    ]
    assert readers == [Path("orchestration/config.py")]
