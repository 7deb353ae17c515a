"""`warehouse refresh` and `warehouse query` as an engineer runs them (what `make run` runs and prints):
two refreshes started together run one after the other and leave no process behind."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import PROJECT_ROOT
from tests.conftest import OBSERVATION_HEADER, REPO_RAW

runner = CliRunner()
WAREHOUSE = Path(sys.executable).parent / "warehouse"


def session_processes(session: int) -> list[str]:
    """The command lines of the processes of a session still running (not those that have ended and wait
    to be reaped)."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if os.getsid(int(entry)) == session and state != "Z":
                    alive.append(Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except (OSError, ProcessLookupError, IndexError):
                continue
    return alive


@pytest.fixture(scope="module")
def two_refreshes(tmp_path_factory):
    """Two `warehouse refresh` processes started together on a new warehouse, each in a session of its
    own; returns the environment, their outputs and their processes."""
    base = tmp_path_factory.mktemp("cli")
    home = base / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(base / "wh"),
        "WAREHOUSE_RAW_ROOTS": str(REPO_RAW),
        "WAREHOUSE_PARSE_PROCESSES": "2",
        "COLUMNS": "200",
    }
    runs = [
        subprocess.Popen(
            [str(WAREHOUSE), "refresh"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=900)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    return env, outputs, runs


def test_two_refreshes_started_together_run_one_after_the_other_and_leave_no_process(two_refreshes):
    env, _, runs = two_refreshes
    # dbt and any parse processes were waited for before each returned
    assert [session_processes(run.pid) for run in runs] == [[], []]
    with dg.instance_for_test(temp_dir=env["DAGSTER_HOME"]) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="warehouse_refresh_job"), ascending=True)
    assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS] * 2
    first, second = records
    assert first.end_time <= second.start_time, "the second refresh began before the first one ended"


def test_refresh_prints_where_the_warehouse_is_and_an_example_answer(two_refreshes):
    env, outputs, _ = two_refreshes
    for output in outputs:
        assert f"{Path(env['WAREHOUSE_DIR']) / 'serving.duckdb'}" in output
        assert "上海市 │ 2020 │ 38700.58" in output


def test_query_reads_the_published_warehouse_and_refuses_writes(two_refreshes, monkeypatch):
    env, _, _ = two_refreshes
    monkeypatch.setenv("WAREHOUSE_DIR", env["WAREHOUSE_DIR"])
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    queried = runner.invoke(app, ["query", "select count(*) as members from marts.dim_city where is_cluster_member"])
    assert queried.exit_code == 0 and "73" in queried.output
    for statement, kind in (
        ("drop table marts.dim_city", "DROP"),
        ("insert into marts.dim_cluster select * from marts.dim_cluster", "INSERT"),
    ):
        refused = runner.invoke(app, ["query", statement])
        assert refused.exit_code == 1 and f"read-only: {kind} statements are refused" in refused.output


def test_a_held_refresh_says_which_check_failed_and_exits_non_zero(tmp_path, make_root, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    bad = make_root({"bad.csv": f"{OBSERVATION_HEADER}\n320100,南京市,江苏省,2016,gdp,-1,亿元,x\n"})
    monkeypatch.setenv("WAREHOUSE_RAW_ROOTS", str(bad))
    result = runner.invoke(app, ["refresh"], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "nothing was published" in result.output
    assert (
        "statistics_observations_expectations" in result.output
        and "city_gdp_between_1e9_and_1e14_yuan" in result.output
    )
    assert not (tmp_path / "wh" / "serving.duckdb").exists()
