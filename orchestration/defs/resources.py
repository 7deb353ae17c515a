"""Resources, built once from Settings; tests build their own with ``build_resources``."""

import functools
import importlib.metadata
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.config import DBT_PROJECT_DIR, DEFAULT_DOCUMENT_BATCHES, Settings, load_settings
from orchestration.lib.warehouse import exclusive_lock


class Warehouse(dg.ConfigurableResource):
    """The warehouse's files: raw roots to read, and the private build database to write."""

    raw_roots: list[str]
    warehouse_dir: str
    dbt_target: str = "duckdb"
    document_batches: int = DEFAULT_DOCUMENT_BATCHES
    alert_webhook: str = ""
    fault_pause: str = ""

    @property
    def settings(self) -> Settings:
        return Settings(
            raw_roots=tuple(Path(p) for p in self.raw_roots),
            warehouse_dir=Path(self.warehouse_dir),
            dbt_target=self.dbt_target,
            document_batches=self.document_batches,
            alert_webhook=self.alert_webhook or None,
            fault_pause=self.fault_pause or None,
        )

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["Warehouse"]:
        """Hold the warehouse's refresh lock for the whole run (the code location runs every step in one
        process), so two refreshes started together run one after the other. The kernel drops the lock
        when the process dies, so a killed refresh leaves nothing to clean up by hand. Sensors and
        schedules use this resource outside a run and take no lock."""
        if context.run is None:
            yield self
            return
        lock_path = self.settings.refresh_lock_path

        def say_waiting() -> None:
            if context.log:
                context.log.info(f"another refresh holds {lock_path}; waiting for it to finish")

        with exclusive_lock(lock_path, on_wait=say_waiting):
            yield self

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Connection to the build database, closed on exit so dbt (another process) can open it."""
        path = self.settings.build_db_path
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(str(path), read_only=read_only)
        try:
            yield conn
        finally:
            conn.close()


class WarehouseDbt(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of its set-up that every run would pay and that the
    warehouse does not use (both override private methods of dagster-dbt 0.29.27; re-check on upgrade):

    - the dbt version: dagster-dbt runs `dbt --version` (seconds: it imports dbt) once per resource,
      and the resource is built for every run; when the executable is this environment's dbt, the
      installed dbt-core says the same without a process;
    - a dbt adapter in this process (about a second: it loads the profile and every macro), which
      dagster-dbt uses only to fetch row counts and column metadata; the transform step counts the
      rows of the tables it built itself."""

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - the signature of the overridden method
        return None


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": Warehouse(
            raw_roots=[str(p) for p in settings.raw_roots],
            warehouse_dir=str(settings.warehouse_dir),
            dbt_target=settings.dbt_target,
            document_batches=settings.document_batches,
            alert_webhook=settings.alert_webhook or "",
            fault_pause=settings.fault_pause or "",
        ),
        # dbt from this interpreter's environment, whatever PATH the run was started with, run by
        # warehouse-dbt in a warm dbt server, a process that has imported dbt (lib/warm_dbt.py)
        "dbt": WarehouseDbt(
            project_dir=str(DBT_PROJECT_DIR),
            target=settings.dbt_target,
            dbt_executable=str(Path(sys.executable).parent / "warehouse-dbt"),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))
