"""Refreshes as they run unattended: the file sensor, two refreshes at once, refreshes killed mid-way,
and no process of a refresh left behind."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.config import PROJECT_ROOT, load_settings
from orchestration.defs.resources import build_resources
from tests.conftest import REPO_RAW, run_refresh, sha256, warehouse_definitions

SUBPROCESS = Path(__file__).parent / "refresh_in_subprocess.py"
WAREHOUSE = Path(sys.executable).parent / "warehouse"


def test_the_sensor_runs_a_new_document_once_and_a_deleted_one_leaves(tmp_path, make_root, published_default):
    """The sensor asks the ingest assets' own change detector, against what the warehouse read: a file
    that landed starts one run (the same run key until it is read), none once it is in."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    extra = make_root(
        {"first.txt": "成渝地区双城经济圈观察\n2020年，重庆市地区生产总值为25002.79亿元。\n"}, kind="documents"
    )
    settings = load_settings({"WAREHOUSE_DIR": str(warehouse_dir), "WAREHOUSE_RAW_ROOTS": f"{REPO_RAW}:{extra}"})
    resources = build_resources(settings)
    defs = warehouse_definitions()
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    instance = dg.DagsterInstance.ephemeral()

    def evaluate():
        with dg.build_sensor_context(resources=resources, repository_def=defs.get_repository_def()) as context:
            return sensor.evaluate_tick(context).run_requests

    def run(request):
        result = dg.materialize(
            [*defs.assets, *(defs.asset_checks or [])],
            resources=resources,
            selection=request.asset_selection,
            tags=request.tags,
            instance=instance,
        )
        assert result.success
        with duckdb.connect(str(settings.serving_path), read_only=True) as conn:
            return dict(
                conn.execute("select regexp_extract(source_file, '[^/]+$'), 1 from marts.dim_document").fetchall()
            )

    (request,) = evaluate()  # the published warehouse has not read the new root's file
    assert evaluate()[0].run_key == request.run_key  # until it is read, the same change, the same run
    assert dg.AssetKey(["raw", "documents"]) in request.asset_selection
    assert dg.AssetKey(["raw", "statistics_observations"]) not in request.asset_selection
    assert "first.txt" in run(request)
    assert evaluate() == []

    (extra / "documents" / "first.txt").unlink()
    (gone,) = evaluate()
    assert gone.run_key != request.run_key
    assert "first.txt" not in run(gone)
    assert evaluate() == []


def cli_env(tmp_path: Path, warehouse_dir: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(warehouse_dir),
        "WAREHOUSE_RAW_ROOTS": str(REPO_RAW),
        "COLUMNS": "200",
        **extra,
    }


def test_two_cli_refreshes_started_together_run_one_after_the_other(tmp_path):
    env = cli_env(tmp_path, tmp_path / "wh")
    runs = [
        subprocess.Popen([str(WAREHOUSE), "refresh"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=900)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with dg.instance_for_test(temp_dir=env["DAGSTER_HOME"]) as instance:
        records = instance.get_run_records(dg.RunsFilter(job_name="warehouse_refresh_job"), ascending=True)
    assert [r.dagster_run.status for r in records] == [dg.DagsterRunStatus.SUCCESS] * 2
    first, second = records
    assert first.end_time <= second.start_time, "the second refresh began before the first one ended"


def _wait_for(predicate, timeout=600.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def lake_versions(warehouse_dir: Path) -> dict[str, str]:
    lake = warehouse_dir / "lake"
    return {link.name: os.readlink(link) for link in lake.iterdir() if link.is_symlink()}


def new_version_written(lake: Path, source: str) -> bool:
    """A version of the source other than the current one holds its manifest: only the commit is left."""
    current = os.readlink(lake / source)
    return any(p.name != current and (p / "_manifest.parquet").exists() for p in lake.glob(f".{source}.*"))


@pytest.mark.parametrize("moment", ["lake", "dbt", "publish"])
def test_a_refresh_killed_mid_way_leaves_the_last_good_warehouse(tmp_path, make_root, published_default, moment):
    """SIGKILL of the whole refresh while it writes the lake (before the new documents version is
    switched in), while dbt builds, and while publish holds its new file."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    serving = warehouse_dir / "serving.duckdb"
    before, lake_before = sha256(serving), lake_versions(warehouse_dir)
    extra = make_root({"new.txt": "长三角观察\n2020年，上海市地区生产总值为38700.58亿元。\n"}, kind="documents")
    env = {**os.environ, "WAREHOUSE_FAULT_PAUSE": moment}
    run = subprocess.Popen(
        [sys.executable, str(SUBPROCESS), str(warehouse_dir), str(REPO_RAW), str(extra)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if moment == "lake":
        reached = _wait_for(lambda: new_version_written(warehouse_dir / "lake", "documents"))
    elif moment == "dbt":
        reached = _wait_for(
            lambda: (
                subprocess.run(["pgrep", "-f", "dbt build", "-s", str(run.pid)], capture_output=True).returncode == 0
            )
        )
    else:
        reached = _wait_for(lambda: any(warehouse_dir.glob(".serving.duckdb.*.tmp")))
    try:
        assert reached, f"the refresh never reached {moment}"
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert sha256(serving) == before
    if moment == "lake":
        assert lake_versions(warehouse_dir)["documents"] == lake_before["documents"]
    with duckdb.connect(str(serving), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.dim_cluster").fetchall() == [(3,)]
    after = run_refresh(warehouse_dir, REPO_RAW, extra)
    assert after.result.success, "\n".join(after.failures)
    assert after.serving("select count(*) from marts.dim_document where source_file like '%new.txt'") == [(1,)]
    assert not list(warehouse_dir.glob(".*.tmp*")) and not list((warehouse_dir / "parquet").glob(".staging-*"))
    assert not serving.with_name("serving.duckdb.wal").exists()
    assert len(list((warehouse_dir / "lake").glob(".documents.*"))) == 1


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


def test_no_process_of_a_refresh_outlives_it(tmp_path):
    """`warehouse refresh` (what `make run` runs) leaves nothing running: dbt and any parse processes
    are waited for before it returns."""
    env = cli_env(tmp_path, tmp_path / "wh", WAREHOUSE_PARSE_PROCESSES="2")
    run = subprocess.Popen(
        [str(WAREHOUSE), "refresh"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    output = run.communicate(timeout=900)[0].decode()
    assert run.returncode == 0, output
    assert session_processes(run.pid) == []
