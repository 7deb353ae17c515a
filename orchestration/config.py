"""Settings: the one place that reads the environment.

Every path the warehouse uses is derived here from two variables:

- ``WAREHOUSE_RAW_ROOTS``: raw roots separated by ``:`` (default ``raw``). Each root may hold
  ``documents/``, ``statistics/`` and ``reference/``.
- ``WAREHOUSE_DIR``: where the private build database, the published ``serving.duckdb``, the
  ``parquet/`` exports and the ``lake/`` the dbt sources read live (default ``warehouse``).

``WAREHOUSE_TARGET`` picks the dbt target: ``duckdb`` (default) or ``spark`` (dbt_project/profiles.yml).

Relative paths are resolved against the project root (the folder holding ``dagster.yaml``), so the
same settings mean the same files whether a run starts from the CLI, the UI or a test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

RAW_ROOTS_VAR = "WAREHOUSE_RAW_ROOTS"
WAREHOUSE_DIR_VAR = "WAREHOUSE_DIR"
DBT_TARGET_VAR = "WAREHOUSE_TARGET"
# dbt reads the build database path from this variable (dbt_project/profiles.yml); only the
# transform step sets it, from Settings.dbt_env().
BUILD_DB_VAR = "WAREHOUSE_BUILD_DB"
# ... and the lake the dbt sources read and, on the spark target, Spark's warehouse and metastore folder.
LAKE_DIR_VAR = "WAREHOUSE_LAKE_DIR"
SPARK_DIR_VAR = "WAREHOUSE_SPARK_DIR"
DBT_TARGETS = ("duckdb", "spark")
# How many batches the documents of a refresh are parsed in (one step each: a multiprocess or Kubernetes
# executor runs them side by side); a file's batch is fixed by its path.
DOCUMENT_BATCHES_VAR = "WAREHOUSE_DOCUMENT_BATCHES"
DEFAULT_DOCUMENT_BATCHES = 4
ALERT_WEBHOOK_VAR = "WAREHOUSE_ALERT_WEBHOOK"
# How long the warm servers (GX suites, dbt: lib/warm_servers.py) wait for the next refresh before they
# end; 0: no servers, every step imports GX and dbt itself. One setting for the machine, not a warehouse.
WARM_SECONDS_VAR = "WAREHOUSE_WARM_SECONDS"
DEFAULT_WARM_SECONDS = 900.0
# Fault injection for the crash tests only: "publish" makes the publish step pause before its rename.
FAULT_PAUSE_VAR = "WAREHOUSE_FAULT_PAUSE"
# Run tag: re-read every raw file instead of only new and changed ones (`warehouse refresh --full`).
FULL_REFRESH_TAG = "warehouse/full"


@dataclass(frozen=True)
class Settings:
    raw_roots: tuple[Path, ...]
    warehouse_dir: Path
    dbt_target: str = "duckdb"
    document_batches: int = DEFAULT_DOCUMENT_BATCHES
    alert_webhook: str | None = None
    fault_pause: str | None = None

    @property
    def build_db_path(self) -> Path:
        """Private database every refresh writes to; never read by analysts."""
        return self.warehouse_dir / "build.duckdb"

    @property
    def serving_path(self) -> Path:
        """Published, read-only copy of the last refresh whose blocking checks all passed."""
        return self.warehouse_dir / "serving.duckdb"

    @property
    def sqlalchemy_url(self) -> str:
        """What BI tools connect with (duckdb-engine): the published file, opened read-only."""
        return f"duckdb:///{self.serving_path}?access_mode=read_only"

    @property
    def parquet_dir(self) -> Path:
        return self.warehouse_dir / "parquet"

    @property
    def lake_dir(self) -> Path:
        """The ingest assets' tables as Parquet, ``lake/<source>/<table>/``: what dbt reads on any target."""
        return self.warehouse_dir / "lake"

    @property
    def staging_dir(self) -> Path:
        """Rows the document parse steps stage as Parquet, ``staging/<run id>/``, until the write step loads them."""
        return self.warehouse_dir / "staging"

    @property
    def spark_dir(self) -> Path:
        """The spark target's own files: managed tables (``warehouse/<schema>.db/``), metastore, scratch."""
        return self.warehouse_dir / "spark"

    @property
    def report_path(self) -> Path:
        """`warehouse report` writes the HTML report here unless told otherwise."""
        return self.warehouse_dir / "report.html"

    @property
    def docs_path(self) -> Path:
        """`warehouse docs` writes the dbt docs site here, as one HTML file."""
        return self.warehouse_dir / "docs.html"

    @property
    def refresh_lock_path(self) -> Path:
        return self.warehouse_dir / ".refresh.lock"

    @property
    def alerts_path(self) -> Path:
        """One JSON line per failed refresh (also posted to WAREHOUSE_ALERT_WEBHOOK when set)."""
        return self.warehouse_dir / "alerts.jsonl"

    def raw_dirs(self, kind: str) -> tuple[Path, ...]:
        """The existing ``<root>/<kind>`` folders, in root order."""
        return tuple(root / kind for root in self.raw_roots if (root / kind).is_dir())

    def dbt_env(self) -> dict[str, str]:
        env = {
            BUILD_DB_VAR: str(self.build_db_path),
            LAKE_DIR_VAR: str(self.lake_dir),
            SPARK_DIR_VAR: str(self.spark_dir),
        }
        if self.dbt_target == "spark":
            env["SPARK_LOCAL_IP"] = "127.0.0.1"  # local mode: no "hostname resolves to a loopback" warning
        return env


def warm_seconds() -> float:
    value = os.environ.get(WARM_SECONDS_VAR, str(DEFAULT_WARM_SECONDS))
    try:
        return max(0.0, float(value))
    except ValueError:
        raise ValueError(f"{WARM_SECONDS_VAR}={value!r}: expected seconds (0 for no warm servers)") from None


def use_project_dagster_home() -> Path:
    """Point Dagster at the project's ``.dagster/`` (with the project's dagster.yaml: telemetry off,
    run queue) unless DAGSTER_HOME is set, so ``.venv/bin/warehouse`` works without ``make``."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and home == PROJECT_ROOT / ".dagster":
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    return home


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    roots = tuple(_resolve(p) for p in env.get(RAW_ROOTS_VAR, "raw").split(":") if p.strip())
    if not roots:
        raise ValueError(f"{RAW_ROOTS_VAR} names no raw root")
    target = env.get(DBT_TARGET_VAR, "duckdb")
    if target not in DBT_TARGETS:
        raise ValueError(f"{DBT_TARGET_VAR}={target!r}: expected one of {', '.join(DBT_TARGETS)}")
    return Settings(
        raw_roots=roots,
        warehouse_dir=_resolve(env.get(WAREHOUSE_DIR_VAR, "warehouse")),
        dbt_target=target,
        document_batches=max(1, int(env.get(DOCUMENT_BATCHES_VAR, DEFAULT_DOCUMENT_BATCHES))),
        alert_webhook=env.get(ALERT_WEBHOOK_VAR) or None,
        fault_pause=env.get(FAULT_PAUSE_VAR) or None,
    )
