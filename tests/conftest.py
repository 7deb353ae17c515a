"""Shared fixtures: raw roots, in-process refreshes into tmp_path, and serving-file helpers."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.config import PROJECT_ROOT, SEEDS_DIR, Settings, load_settings
from orchestration.defs.resources import build_resources
from orchestration.statistics.units import read_catalogue

REPO_RAW = PROJECT_ROOT / "raw"
SHARED_RAW = (PROJECT_ROOT.parent / "shared" / "raw").resolve()
OBSERVATION_HEADER = "admin_code,region_name,province_name,year,indicator,value,unit,source"
# the indicators the statistics reader knows: the seed the refreshes read too
CATALOGUE = read_catalogue(SEEDS_DIR / "indicators.csv")


@cache
def warehouse_definitions() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs()


@dataclass
class Refresh:
    settings: Settings
    result: dg.ExecuteInProcessResult

    @property
    def materialized(self) -> set[str]:
        return {
            e.asset_key.to_user_string()
            for e in self.result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        }

    @property
    def failures(self) -> list[str]:
        """What failed, for an assertion's message: failed steps and checks."""
        steps = [
            f"{e.step_key}: {e.event_specific_data.error.to_string() if e.event_specific_data.error else e.message}"
            for e in self.result.all_events
            if e.event_type == dg.DagsterEventType.STEP_FAILURE
        ]
        return steps + [f"{name}: {e.description}" for name, e in self.failed_checks().items()]

    def failed_checks(self) -> dict[str, dg.AssetCheckEvaluation]:
        return {
            e.event_specific_data.check_name: e.event_specific_data
            for e in self.result.all_events
            if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and not e.event_specific_data.passed
        }

    def serving(self, sql: str, params: list | None = None) -> list[tuple]:
        conn = duckdb.connect(str(self.settings.serving_path), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()


_INSTANCES: dict[Path, dg.DagsterInstance] = {}


def instance_of(warehouse_dir: Path) -> dg.DagsterInstance:
    """One Dagster instance per warehouse, as a deployment has (its DAGSTER_HOME): the quality history
    publish writes reads the checks of the runs since the last publication from it."""
    return _INSTANCES.setdefault(Path(warehouse_dir), dg.DagsterInstance.ephemeral())


def run_refresh(
    warehouse_dir: Path, *roots: Path, selection=None, full: bool = False, env: dict[str, str] | None = None
) -> Refresh:
    env = {
        "WAREHOUSE_DIR": str(warehouse_dir),
        "WAREHOUSE_RAW_ROOTS": ":".join(str(r) for r in roots),
        **(env or {}),
    }
    for name in ("WAREHOUSE_FAULT_PAUSE", "WAREHOUSE_TARGET"):  # set for a refresh in a subprocess
        if name in os.environ:
            env[name] = os.environ[name]
    settings = load_settings(env)
    defs = warehouse_definitions()
    result = dg.materialize(
        [*defs.assets, *(defs.asset_checks or [])],
        resources=build_resources(env),
        instance=instance_of(warehouse_dir),
        selection=selection,
        tags={"warehouse/full": "true"} if full else None,
        raise_on_error=False,
    )
    return Refresh(settings=settings, result=result)


@pytest.fixture(scope="session")
def shared_raw() -> Path:
    if not (SHARED_RAW / "statistics").is_dir():
        pytest.fail(f"{SHARED_RAW} is missing: the suite needs ../shared/raw beside the repo")
    return SHARED_RAW


# the bundled tables that make up most of a refresh's statistics (the census with its boundaries, the
# third-party panel): tests of the refresh's machinery, not of the bundled figures, leave them out
LARGE_TABLES = ("census_city_2010_2020.csv", "city_macro_data_0.1.0.csv")


@pytest.fixture(scope="session")
def lean_raw(tmp_path_factory) -> Path:
    """A copy of the repo's raw/ without LARGE_TABLES: every kind of input, in a refresh a third shorter."""
    root = tmp_path_factory.mktemp("lean_raw")
    shutil.copytree(REPO_RAW, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*LARGE_TABLES))
    return root


@pytest.fixture
def make_root(tmp_path: Path) -> Callable[..., Path]:
    """Create a raw root under tmp_path holding the given files (name -> str or bytes) in
    ``statistics/`` (or ``kind``)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], encoding: str = "utf-8", kind: str = "statistics") -> Path:
        root = tmp_path / f"root{next(counter)}"
        folder = root / kind
        folder.mkdir(parents=True)
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode(encoding)
            (folder / name).write_bytes(data)
        return root

    return make


@pytest.fixture(scope="session")
def published_default(tmp_path_factory) -> Refresh:
    """One full refresh of the repo's raw/ (shared by read-only tests)."""
    refresh = run_refresh(tmp_path_factory.mktemp("default_warehouse"), REPO_RAW)
    assert refresh.result.success, "\n".join(refresh.failures)
    return refresh


def build_rows(settings: Settings, sql: str) -> list[tuple]:
    """Rows of a query on a copy of the build database: dagster-dbt's adapter, which counted the models'
    rows, keeps the file open in this process under a configuration of its own."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "build.duckdb"
        shutil.copyfile(settings.build_db_path, copy)
        with duckdb.connect(str(copy), read_only=True) as conn:
            return conn.execute(sql).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_read(refresh: Refresh) -> dict[str, int]:
    """Files each ingest asset read, from its materialization metadata."""
    return {
        e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata["files_read"].value
        for e in refresh.result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
        and "files_read" in e.event_specific_data.materialization.metadata
    }


def approximately(value):
    """Floats to 12 digits: a sum over rows in another order may differ in the last bit."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def mart_contents(refresh: Refresh) -> dict[str, list]:
    """Every row of the marts that do not record load times (floats to 12 digits)."""
    marts = ["dim_city", "fct_city_year", "mart_cluster_year", "fct_document_claims", "mart_claim_reconciliation"]
    return {
        m: [tuple(map(approximately, row)) for row in refresh.serving(f"select * from marts.{m} order by all")]
        for m in marts
    }
