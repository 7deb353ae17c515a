"""Refreshes as they run unattended: the file sensor, and refreshes killed mid-way."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.config import load_settings
from orchestration.defs.resources import build_resources
from tests.conftest import REPO_RAW, run_refresh, sha256, warehouse_definitions

SUBPROCESS = Path(__file__).parent / "refresh_in_subprocess.py"


def test_the_sensor_runs_a_new_document_once_and_a_deleted_one_too(tmp_path, make_root, published_default):
    """The sensor asks the ingest assets' own change detector, against what the warehouse read: a file
    that landed starts one run (the same run key until it is read), none once it is in."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    extra = make_root(
        {"first.txt": "成渝地区双城经济圈观察\n2020年，重庆市地区生产总值为25002.79亿元。\n"}, kind="documents"
    )
    environment = {"WAREHOUSE_DIR": str(warehouse_dir), "WAREHOUSE_RAW_ROOTS": f"{REPO_RAW}:{extra}"}
    settings = load_settings(environment)
    resources = build_resources(environment)
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

    (extra / "documents" / "first.txt").unlink()  # its rows leave in that run (tests/test_incremental_models.py)
    (gone,) = evaluate()
    assert gone.run_key != request.run_key and dg.AssetKey(["raw", "documents"]) in gone.asset_selection


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


def test_refreshes_killed_mid_way_leave_the_last_good_warehouse(tmp_path, make_root, published_default):
    """SIGKILL of the whole refresh while it writes the lake (before the new documents version is
    switched in), then of the next one while dbt builds, then of the next while publish holds its new
    file: each time the served warehouse and the lake are as they were, and the refresh after them all
    publishes what the killed ones would have."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    serving = warehouse_dir / "serving.duckdb"
    before = sha256(serving)
    extra = make_root({"new.txt": "长三角观察\n2020年，上海市地区生产总值为38700.58亿元。\n"}, kind="documents")
    for moment in ("lake", "dbt", "publish"):
        documents_before = lake_versions(warehouse_dir)["documents"]
        run = subprocess.Popen(
            [sys.executable, str(SUBPROCESS), str(warehouse_dir), str(REPO_RAW), str(extra)],
            env={**os.environ, "WAREHOUSE_FAULT_PAUSE": moment},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if moment == "lake":
            reached = _wait_for(lambda: new_version_written(warehouse_dir / "lake", "documents"))
        elif moment == "dbt":
            reached = _wait_for(
                lambda run=run: (
                    subprocess.run(["pgrep", "-f", "dbt build", "-s", str(run.pid)], capture_output=True).returncode
                    == 0
                )
            )
        else:
            reached = _wait_for(lambda: any(warehouse_dir.glob(".serving.duckdb.*.tmp")))
        try:
            assert reached, f"the refresh never reached {moment}"
        finally:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        assert sha256(serving) == before, moment
        if moment == "lake":
            assert lake_versions(warehouse_dir)["documents"] == documents_before
        with duckdb.connect(str(serving), read_only=True) as conn:
            assert conn.execute("select count(*) from marts.dim_cluster").fetchall() == [(3,)]
    after = run_refresh(warehouse_dir, REPO_RAW, extra)
    assert after.result.success, "\n".join(after.failures)
    assert after.serving("select count(*) from marts.dim_document where source_file like '%new.txt'") == [(1,)]
    assert not list(warehouse_dir.glob(".*.tmp*")) and not list((warehouse_dir / "parquet").glob(".staging-*"))
    assert not serving.with_name("serving.duckdb.wal").exists()
    assert len(list((warehouse_dir / "lake").glob(".documents.*"))) == 1
