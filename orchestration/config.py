"""Settings: the one place that reads the environment.

Every path the warehouse uses is derived here from two variables:

- ``WAREHOUSE_RAW_ROOTS``: raw roots separated by ``:`` (default ``raw``). Each root may hold
  ``documents/``, ``statistics/`` and ``reference/``.
- ``WAREHOUSE_DIR``: where the private build database, the published ``serving.duckdb``, the
  ``parquet/`` exports and the ``lake/`` the dbt sources read live (default ``warehouse``).

``WAREHOUSE_TARGET`` picks the dbt target: ``duckdb`` (default) or ``spark`` (dbt_project/profiles.yml).
``WAREHOUSE_PARSE_PROCESSES`` is how many processes parse documents side by side (default: the cores).
``WAREHOUSE_MEMORY_LIMIT`` and ``WAREHOUSE_MAX_TEMP_SIZE`` bound what DuckDB may take while dbt builds
and publish copies (default 4GB of memory, 20GB spilled to ``<WAREHOUSE_DIR>/tmp``): a query past them
fails its refresh, which publishes nothing.

Relative paths are resolved against the project root (the folder holding ``dagster.yaml``), so the
same settings mean the same files whether a run starts from the CLI, the UI or a test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"  # the gazetteer and the known codes read the seeds too

# No usage reports from the libraries the warehouse runs (dbt, Great Expectations), here and in dbt's process.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

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
# How many processes parse the documents of a refresh side by side (documents/corpus.py)
PARSE_PROCESSES_VAR = "WAREHOUSE_PARSE_PROCESSES"
DEFAULT_PARSE_PROCESSES = os.cpu_count() or 1
ALERT_WEBHOOK_VAR = "WAREHOUSE_ALERT_WEBHOOK"
# DuckDB's limits for the build and the publish (dbt_project/profiles.yml reads them from these variables)
MEMORY_LIMIT_VAR = "WAREHOUSE_MEMORY_LIMIT"
MAX_TEMP_SIZE_VAR = "WAREHOUSE_MAX_TEMP_SIZE"
TEMP_DIR_VAR = "WAREHOUSE_TEMP_DIR"
DEFAULT_MEMORY_LIMIT = "4GB"
DEFAULT_MAX_TEMP_SIZE = "20GB"
_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
# Fault injection for the crash tests only: "lake" makes the documents asset pause before it switches its
# new lake version in, "publish" the publish step before its rename.
FAULT_PAUSE_VAR = "WAREHOUSE_FAULT_PAUSE"
# Run tag: re-read every raw file instead of only new and changed ones (`warehouse refresh --full`).
FULL_REFRESH_TAG = "warehouse/full"


@dataclass(frozen=True)
class Settings:
    raw_roots: tuple[Path, ...]
    warehouse_dir: Path
    dbt_target: str = "duckdb"
    parse_processes: int = DEFAULT_PARSE_PROCESSES
    alert_webhook: str | None = None
    fault_pause: str | None = None
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    max_temp_size: str = DEFAULT_MAX_TEMP_SIZE

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
        """What BI tools connect with (duckdb-engine): the published file, read-only, no external access."""
        from orchestration.serving.query import sqlalchemy_url

        return sqlalchemy_url(self.serving_path)

    @property
    def parquet_dir(self) -> Path:
        return self.warehouse_dir / "parquet"

    @property
    def lake_dir(self) -> Path:
        """The ingest assets' tables as Parquet, ``lake/<source>/<table>/``: what dbt reads on any target."""
        return self.warehouse_dir / "lake"

    @property
    def parse_dir(self) -> Path:
        """Rows of the documents parsed in a refresh, as Parquet, until they are written to the lake."""
        return self.warehouse_dir / "parsed"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this warehouse (compiled SQL, run results, its partial parse)."""
        return self.warehouse_dir / "dbt"

    @property
    def spark_dir(self) -> Path:
        """The spark target's own files: managed tables (``warehouse/<schema>.db/``), metastore, scratch."""
        return self.warehouse_dir / "spark"

    @property
    def temp_dir(self) -> Path:
        """Where DuckDB spills what does not fit in memory_limit, during the build and the publish."""
        return self.warehouse_dir / "tmp"

    @property
    def duckdb_limits(self) -> dict[str, str]:
        """DuckDB's settings for the connections that build and publish (dbt's profile reads the same)."""
        return {
            "memory_limit": self.memory_limit,
            "max_temp_directory_size": self.max_temp_size,
            "temp_directory": str(self.temp_dir),
        }

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
            MEMORY_LIMIT_VAR: self.memory_limit,
            MAX_TEMP_SIZE_VAR: self.max_temp_size,
            TEMP_DIR_VAR: str(self.temp_dir),
        }
        if self.dbt_target == "spark":
            env["SPARK_LOCAL_IP"] = "127.0.0.1"  # local mode: no "hostname resolves to a loopback" warning
        return env


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """The settings' variables for dbt in this process's environment while the block runs (dbt's
    profile reads the build database and the lake from them; dagster-dbt hands dbt this environment),
    the previous values restored after."""
    values = settings.dbt_env()
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def use_project_dagster_home() -> Path:
    """Point Dagster at the project's ``.dagster/`` (with the project's dagster.yaml: telemetry off,
    run queue) unless DAGSTER_HOME is set, so ``.venv/bin/warehouse`` works without ``make``."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster")))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and home == PROJECT_ROOT / ".dagster":
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, str(default))
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r}: expected a whole number of at least 1")
    return int(value)


def _size(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).strip()
    if not _SIZE.fullmatch(value):
        raise ValueError(f"{name}={value!r}: expected a size such as 4GB, 512MB or 1.5GiB")
    return value


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def warehouse_variables(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The WAREHOUSE_* variables of ``env`` (default: the process's environment): what Settings are read from."""
    env = os.environ if env is None else env
    return {name: value for name, value in env.items() if name.startswith("WAREHOUSE_")}


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
        parse_processes=_positive(env, PARSE_PROCESSES_VAR, DEFAULT_PARSE_PROCESSES),
        alert_webhook=env.get(ALERT_WEBHOOK_VAR) or None,
        fault_pause=env.get(FAULT_PAUSE_VAR) or None,
        memory_limit=_size(env, MEMORY_LIMIT_VAR, DEFAULT_MEMORY_LIMIT),
        max_temp_size=_size(env, MAX_TEMP_SIZE_VAR, DEFAULT_MAX_TEMP_SIZE),
    )
