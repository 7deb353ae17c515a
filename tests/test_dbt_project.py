"""The dbt project's promises to the marts' readers: a broken contract or unit test stops a refresh before
it publishes (the published comments: tests/test_docs.py)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.config import PROJECT_ROOT
from tests.conftest import REPO_RAW, sha256


def _break_contract(project: Path) -> None:
    """dim_cluster.plan_year, an integer by its contract, becomes text."""
    sql = project / "models" / "marts" / "dim_cluster.sql"
    text = sql.read_text(encoding="utf-8")
    assert "clusters.plan_year," in text
    sql.write_text(text.replace("clusters.plan_year,", "cast(clusters.plan_year as varchar) as plan_year,"))


def _break_unit_test(project: Path) -> None:
    """The vintage ranking's unit test now expects the revision last in the latest view."""
    yml = project / "models" / "intermediate" / "statistics" / "_int_statistics__models.yml"
    text = yml.read_text(encoding="utf-8")
    expected = "{observation_id: gdp_revised, first_published_rank: 4, latest_rank: 1,"
    assert expected in text
    yml.write_text(text.replace(expected, "{observation_id: gdp_revised, first_published_rank: 4, latest_rank: 4,"))


def test_a_broken_contract_or_unit_test_fails_the_refresh_and_publishes_nothing(tmp_path, published_default):
    """A copy of the code location whose dbt project breaks a mart's contract and a unit test refreshes a
    copy of the published warehouse: dbt names both, the refresh fails, and the served file is unchanged."""
    repo = tmp_path / "repo"
    for part in ("orchestration", "tests", "dbt_project"):
        shutil.copytree(
            PROJECT_ROOT / part, repo / part, ignore=shutil.ignore_patterns("target", "logs", "__pycache__")
        )
    shutil.copy(PROJECT_ROOT / "pyproject.toml", repo)
    _break_contract(repo / "dbt_project")
    _break_unit_test(repo / "dbt_project")
    dbt = [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--project-dir", "dbt_project"]
    subprocess.run([*dbt, "--profiles-dir", "dbt_project"], cwd=repo, check=True)
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    serving = warehouse_dir / "serving.duckdb"
    before = sha256(serving)

    refresh = subprocess.run(
        [sys.executable, str(repo / "tests" / "refresh_in_subprocess.py"), str(warehouse_dir), str(REPO_RAW)],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert json.loads(refresh.stdout.strip().splitlines()[-1])["success"] is False
    log = (warehouse_dir / "dbt" / "dbt.log").read_text(encoding="utf-8")
    assert "data type mismatch" in log and "plan_year" in log  # the contract
    failed_unit_test = "'unit_test.yangtze_warehouse.int_region_year_selected.vintages_rank_into_the_two_views'"
    assert f"Marking all children of {failed_unit_test} to be skipped because of status 'fail'" in log
    assert sha256(serving) == before
