"""`warehouse refresh` and `warehouse query` as an engineer runs them (what `make run` prints)."""

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path / "wh"


def test_refresh_prints_where_the_warehouse_is_and_an_example_answer(cli_env):
    result = runner.invoke(app, ["refresh"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{cli_env / 'serving.duckdb'}" in result.output
    assert "上海市 │ 2020 │ 38700.58" in result.output
    queried = runner.invoke(app, ["query", "select count(*) as members from marts.dim_city where is_cluster_member"])
    assert queried.exit_code == 0 and "73" in queried.output
    for statement, kind in (
        ("drop table marts.dim_city", "DROP"),
        ("insert into marts.dim_cluster select * from marts.dim_cluster", "INSERT"),
    ):
        refused = runner.invoke(app, ["query", statement])
        assert refused.exit_code == 1 and f"read-only: {kind} statements are refused" in refused.output


def test_a_held_refresh_says_which_check_failed_and_exits_non_zero(cli_env, make_root, monkeypatch):
    from tests.conftest import OBSERVATION_HEADER

    bad = make_root({"bad.csv": f"{OBSERVATION_HEADER}\n320100,南京市,江苏省,2016,gdp,-1,亿元,x\n"})
    monkeypatch.setenv("WAREHOUSE_RAW_ROOTS", str(bad))
    result = runner.invoke(app, ["refresh"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "nothing was published" in result.output
    assert (
        "statistics_observations_expectations" in result.output
        and "city_gdp_between_1e9_and_1e14_yuan" in result.output
    )
    assert not (cli_env / "serving.duckdb").exists()
