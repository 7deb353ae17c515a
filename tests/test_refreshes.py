"""Refreshes as they run unattended: the file sensor, incremental no-op refreshes, two refreshes at
once, and refreshes killed mid-way."""

import json
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

from orchestration.config import load_settings
from orchestration.defs.resources import build_resources
from tests.conftest import REPO_RAW, run_refresh, sha256, warehouse_definitions

SUBPROCESS = Path(__file__).parent / "refresh_in_subprocess.py"


def test_the_sensor_runs_a_new_document_once_and_a_deleted_one_leaves(tmp_path, make_root, published_default):
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir)
    extra = make_root(
        {"first.txt": "成渝地区双城经济圈观察\n2020年，重庆市地区生产总值为25002.79亿元。\n"}, kind="documents"
    )
    settings = load_settings({"WAREHOUSE_DIR": str(warehouse_dir), "WAREHOUSE_RAW_ROOTS": f"{REPO_RAW}:{extra}"})
    resources = build_resources(settings)
    defs = warehouse_definitions()
    sensor = defs.resolve_sensor_def("raw_files_sensor")

    def evaluate(cursor):
        with dg.build_sensor_context(
            cursor=cursor, resources=resources, repository_def=defs.get_repository_def()
        ) as context:
            return sensor.evaluate_tick(context)

    baseline = evaluate(None)  # the first tick sees every file as new
    assert len(baseline.run_requests) == 1
    (extra / "documents" / "second.txt").write_text(
        "长三角观察\n2019年，南京市地区生产总值为14030.15亿元。\n", encoding="utf-8"
    )
    tick = evaluate(baseline.cursor)
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.run_key and dg.AssetKey(["raw", "documents"]) in request.asset_selection
    assert dg.AssetKey(["raw", "statistics_observations"]) not in request.asset_selection

    job = defs.resolve_job_def("warehouse_refresh_job")
    selected = [
        a
        for a in defs.assets
        if isinstance(a, dg.AssetsDefinition) and any(k in request.asset_selection for k in a.keys)
    ]
    result = dg.materialize(selected, resources=resources, selection=request.asset_selection, tags=request.tags)
    assert result.success and job
    conn = duckdb.connect(str(settings.serving_path), read_only=True)
    assert conn.execute("select count(*) from marts.dim_document where source_file like '%second.txt'").fetchone() == (
        1,
    )
    conn.close()
    assert evaluate(tick.cursor).run_requests == []

    (extra / "documents" / "second.txt").unlink()
    gone = evaluate(tick.cursor)
    assert len(gone.run_requests) == 1 and gone.run_requests[0].run_key != request.run_key
    assert dg.materialize(selected, resources=resources, selection=gone.run_requests[0].asset_selection).success
    conn = duckdb.connect(str(settings.serving_path), read_only=True)
    assert conn.execute("select count(*) from marts.dim_document where source_file like '%second.txt'").fetchone() == (
        0,
    )
    conn.close()


def test_two_refreshes_started_together_run_one_after_the_other(tmp_path):
    warehouse_dir = tmp_path / "wh"
    runs = [
        subprocess.Popen(
            [sys.executable, str(SUBPROCESS), str(warehouse_dir), str(REPO_RAW)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [json.loads(run.communicate(timeout=300)[0].strip().splitlines()[-1]) for run in runs]
    assert [o["success"] for o in outcomes] == [True, True]
    conn = duckdb.connect(str(warehouse_dir / "build.duckdb"), read_only=True)
    spans = conn.execute(
        "select refresh_id, min(checked_at), max(checked_at) from raw.check_history group by refresh_id order by 2"
    ).fetchall()
    conn.close()
    assert {s[0] for s in spans} == {o["run_id"] for o in outcomes}
    assert spans[0][2] < spans[1][1], "the second refresh's checks began before the first one's ended"
    published = duckdb.connect(str(warehouse_dir / "serving.duckdb"), read_only=True)
    assert published.execute("select any_value(refresh_id) from meta.publication").fetchone()[0] == spans[1][0]
    published.close()


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("moment", ["dbt", "publish"])
def test_a_refresh_killed_mid_way_leaves_the_last_good_warehouse(tmp_path, published_default, moment):
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir)
    serving = warehouse_dir / "serving.duckdb"
    before = sha256(serving)
    env = {**os.environ, "WAREHOUSE_FAULT_PAUSE": moment}
    run = subprocess.Popen(
        [sys.executable, str(SUBPROCESS), str(warehouse_dir), str(REPO_RAW)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if moment == "dbt":
        reached = _wait_for(
            lambda: (
                subprocess.run(["pgrep", "-f", "dbt build", "-s", str(run.pid)], capture_output=True).returncode == 0
            )
        )
    else:
        reached = _wait_for(lambda: any(warehouse_dir.glob(".serving.duckdb.*.tmp")))
    try:
        assert reached, f"the refresh never reached {moment}"
        time.sleep(0.2)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert sha256(serving) == before
    conn = duckdb.connect(str(serving), read_only=True)
    assert conn.execute("select count(*) from marts.dim_cluster").fetchone() == (3,)
    conn.close()
    after = run_refresh(warehouse_dir, REPO_RAW)
    assert after.result.success
    assert sha256(serving) != before
    assert not list(warehouse_dir.glob(".*.tmp*")) and not list((warehouse_dir / "parquet").glob(".staging-*"))
    assert not serving.with_name("serving.duckdb.wal").exists()
