"""`warehouse refresh` and `warehouse query` as an engineer runs them (what `make run` runs and prints): a
refresh waits for one holding the warehouse's lock, and leaves no process behind."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import REFRESH_LOGS_KEPT, app, output_to
from orchestration.config import PROJECT_ROOT, load_settings
from orchestration.serving.refresh_lock import exclusive_lock
from tests.conftest import OBSERVATION_HEADER, REPO_RAW
from tests.terminal import run_on_terminal

runner = CliRunner()
WAREHOUSE = Path(sys.executable).parent / "warehouse"


def session_processes(session: int) -> list[str]:
    """The processes of a session still running, once its leader has ended and its output was read to the
    end. One that is ending has let go of its memory (its command line reads empty) before it closes its
    files, so a process that held the output and is not past that is still at work."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                if os.getsid(int(entry)) == session and command:
                    alive.append(f"{entry}: {command}")
            except (OSError, ProcessLookupError):
                continue
    return alive


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """`warehouse refresh` in a session of its own on a new warehouse, started while another refresh holds
    the warehouse's lock. Returns the environment, its output and its process; and what it printed, and
    the runs the instance held, while it waited."""
    base = tmp_path_factory.mktemp("cli")
    home = base / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(base / "wh"),
        "WAREHOUSE_RAW_ROOTS": str(REPO_RAW),
        "COLUMNS": "80",  # a terminal of the usual width
    }
    settings = load_settings(env)
    with exclusive_lock(settings.refresh_lock_path):  # another refresh, from the refresh's point of view
        run = subprocess.Popen(
            [str(WAREHOUSE), "refresh"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        before = []
        for line in run.stdout:  # it says it waits, then its run waits for the lock
            before.append(line.decode())
            if "waiting" in before[-1]:
                break
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            runs = dg.RunsFilter(job_name="warehouse_refresh_job")
            deadline = time.monotonic() + 300
            while not instance.get_run_records(runs) and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(3)  # time enough to start a step, were the lock not held
            [waiting] = instance.get_run_records(runs)
            steps = instance.get_records_for_run(waiting.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_START)
            while_waiting = (waiting.dagster_run.status, len(steps.records))
    output = "".join(before) + run.communicate(timeout=900)[0].decode()
    assert run.returncode == 0, output
    return env, output, run, before, while_waiting


def test_a_refresh_waits_for_the_one_holding_the_lock_and_leaves_no_process(refreshed):
    env, _, run, before, while_waiting = refreshed
    assert before[-1].strip() == "Another refresh is running; waiting."
    # its run was in the instance, as the UI shows it, and waited for the lock before its first step
    status, steps = while_waiting
    assert status in (dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED) and steps == 0
    # dbt and any parse processes were waited for before it returned
    assert session_processes(run.pid) == []
    with dg.instance_for_test(temp_dir=env["DAGSTER_HOME"]) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="warehouse_refresh_job"))
    assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS]


def test_refresh_prints_where_the_warehouse_is_and_an_example_answer(refreshed):
    env, output, *_ = refreshed
    assert f"{Path(env['WAREHOUSE_DIR']) / 'serving.duckdb'}" in output
    # the BI URL whole on its line, to be copied as it is, in a terminal of any width
    assert f"  BI tools (SQLAlchemy URL):        {load_settings(env).sqlalchemy_url}\n" in output
    assert re.search(r"上海市 │ 2020 │ +38701.0 │", output)  # the latest view: the yearbook's final figure


def test_refresh_prints_a_summary_and_leaves_dbts_log_in_a_file(refreshed):
    env, output, *_ = refreshed
    lines = output.splitlines()
    assert len(lines) < 30, output
    assert "START" not in output and "dbt" not in output.replace("dbt's log", "")
    [log] = (Path(env["WAREHOUSE_DIR"]) / "logs").glob("refresh-*.log")
    assert "dbt's log and " in output and str(log) in output
    assert re.search(r"  checks: \d{3} passed, [12] warned ", output), output  # sources disagree; a truncated text
    assert "PASS" in log.read_text(encoding="utf-8")  # dbt's test results are in the log


def test_the_logs_folder_keeps_the_newest_refresh_logs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(REFRESH_LOGS_KEPT + 5):
        (logs / f"refresh-20260101-0000{n:02d}.log").write_text("old")
    with output_to(logs / "refresh-20270101-000000.log"):
        print("dbt says")
    kept = sorted(p.name for p in logs.iterdir())
    assert len(kept) == REFRESH_LOGS_KEPT and kept[-1] == "refresh-20270101-000000.log"
    assert kept[0] == "refresh-20260101-000006.log"  # the oldest went
    assert (logs / kept[-1]).read_text() == "dbt says\n"


def test_query_reads_the_published_warehouse_and_refuses_writes(refreshed, monkeypatch):
    env, *_ = refreshed
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


def test_status_prints_every_marts_name_whole_at_80_columns(refreshed, monkeypatch):
    env, *_ = refreshed
    monkeypatch.setenv("WAREHOUSE_DIR", env["WAREHOUSE_DIR"])
    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    result = runner.invoke(app, ["status"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    marts = {p.stem for p in Path(env["WAREHOUSE_DIR"], "parquet").glob("*.parquet")}
    assert "mart_scope_claim_reconciliation" in marts
    printed = {cell.strip() for line in result.output.splitlines() for cell in line.split("│")}
    assert marts <= printed, marts - printed


def test_a_held_refresh_on_a_terminal_says_which_check_failed_and_exits_non_zero(tmp_path, make_root):
    """On a pseudo-terminal of 80 × 30: the failing check and rule named, what was not materialized counted,
    nothing published; the log it names holds the rest, with as many warnings as the screen says."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    bad = make_root({"bad.csv": f"{OBSERVATION_HEADER}\n320100,南京市,江苏省,2016,gdp,-1,亿元,x\n"})
    env = {**os.environ, "WAREHOUSE_DIR": str(tmp_path / "wh"), "DAGSTER_HOME": str(home)}
    env["WAREHOUSE_RAW_ROOTS"] = str(bad)
    code, lines = run_on_terminal([str(WAREHOUSE), "refresh"], env)
    screen = "\n".join(lines)
    assert code == 1 and len([line for line in lines if line.strip()]) < 30, screen
    assert "nothing was published" in screen and "START" not in screen and "WARNING" not in screen, screen
    assert "statistics_observations_expectations" in screen and "city_gdp_between_1e9_and_1e14_yuan" in screen
    assert not (tmp_path / "wh" / "serving.duckdb").exists()
    # the terminal counts what was held back; the run's log names every asset
    assert "not materialized: " in screen and "marts " in screen, screen
    [log] = (tmp_path / "wh" / "logs").glob("refresh-*.log")
    text = log.read_text(encoding="utf-8")
    assert "marts/mart_cluster_year" in text
    warned = re.search(r"dbt's log and (\d+) warnings: (\S+)", screen)
    assert warned and warned[2] == str(log), screen
    assert int(warned[1]) == sum(" - WARNING - " in line for line in text.splitlines())


def test_a_refresh_on_a_terminal_shows_the_bar_and_the_summary_and_logs_the_rest(refreshed, tmp_path):
    """On a pseudo-terminal of 80 × 30 (not a pipe): no dbt, Dagster or Spark output on the screen, and the
    log it names holds it, with as many warnings as the summary counts."""
    env, *_ = refreshed
    warehouse = tmp_path / "wh"
    shutil.copytree(env["WAREHOUSE_DIR"], warehouse, symlinks=True)
    shutil.rmtree(warehouse / "logs")
    code, lines = run_on_terminal([str(WAREHOUSE), "refresh"], {**env, "WAREHOUSE_DIR": str(warehouse)})
    screen = "\n".join(lines)
    assert code == 0, screen
    assert len([line for line in lines if line.strip()]) < 40, screen
    assert "START" not in screen and "WARNING" not in screen and "FutureWarning" not in screen, screen
    [log] = (warehouse / "logs").glob("refresh-*.log")
    text = log.read_text(encoding="utf-8")
    assert "PASS" in text
    warned = re.search(r"dbt's log and (\d+) warnings: (\S+)", screen)
    assert warned and warned[2] == str(log), screen
    assert int(warned[1]) == sum(" - WARNING - " in line for line in text.splitlines()) > 0


def test_query_on_a_terminal_prints_every_figure_whole(refreshed):
    """At 80 columns: a tiny and a huge figure in a table; a 59-column mart as one block per record. Every
    figure read back from the screen equals the database's, and no column is squeezed to nothing."""
    env, *_ = refreshed
    figures = "select -1.4986855494e-05 as tiny, 1e11 as huge, 12137446000000 as gdp_yuan, 'yrd' as cluster_id"
    code, lines = run_on_terminal([str(WAREHOUSE), "query", figures], env)
    assert code == 0 and "…" not in "\n".join(lines), lines
    [values] = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if line.startswith("│")]  # ┃: header
    assert [float(v) for v in values[:3]] == [-1.4986855494e-05, 1e11, 12137446000000] and values[3] == "yrd"

    wide = "select * from marts.mart_cluster_year where statistics_view = 'latest' and year = 2020 order by cluster_id"
    code, lines = run_on_terminal([str(WAREHOUSE), "query", wide], env)
    screen = "\n".join(lines)
    assert code == 0 and "…" not in screen and max(len(line) for line in lines) <= 80, screen
    with duckdb.connect(str(Path(env["WAREHOUSE_DIR"]) / "serving.duckdb"), read_only=True) as conn:
        relation = conn.sql(wide)
        columns, rows = relation.columns, relation.fetchall()
    assert len(columns) > 50
    records = []
    for line in lines:
        if line.startswith("record "):
            records.append({})
        elif records and line.strip():
            name, _, value = line.strip().partition(" ")
            records[-1][name] = value.strip()
    assert len(records) == len(rows) == 3, screen
    for record, row in zip(records, rows, strict=True):
        assert list(record) == columns
        for column, value in zip(columns, row, strict=True):
            shown = record[column]
            if value is None:
                assert shown == "", column
            elif isinstance(value, int | float):
                assert float(shown) == value, (column, shown, value)
            else:
                assert shown == str(value), (column, shown, value)
