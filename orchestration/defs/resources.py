"""Resources, built once from Settings; tests build their own with ``build_resources``."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.config import (
    DBT_PROJECT_DIR,
    DEFAULT_MAX_TEMP_SIZE,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_PARSE_PROCESSES,
    Settings,
    load_settings,
)


class Warehouse(dg.ConfigurableResource):
    """The warehouse's files: the raw roots to read, and the folder of the lake, the build database and
    the published warehouse."""

    raw_roots: list[str]
    warehouse_dir: str
    dbt_target: str = "duckdb"
    parse_processes: int = DEFAULT_PARSE_PROCESSES
    alert_webhook: str = ""
    fault_pause: str = ""
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    max_temp_size: str = DEFAULT_MAX_TEMP_SIZE

    @property
    def settings(self) -> Settings:
        return Settings(
            raw_roots=tuple(Path(p) for p in self.raw_roots),
            warehouse_dir=Path(self.warehouse_dir),
            dbt_target=self.dbt_target,
            parse_processes=self.parse_processes,
            alert_webhook=self.alert_webhook or None,
            fault_pause=self.fault_pause or None,
            memory_limit=self.memory_limit,
            max_temp_size=self.max_temp_size,
        )


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": Warehouse(
            raw_roots=[str(p) for p in settings.raw_roots],
            warehouse_dir=str(settings.warehouse_dir),
            dbt_target=settings.dbt_target,
            parse_processes=settings.parse_processes,
            alert_webhook=settings.alert_webhook or "",
            fault_pause=settings.fault_pause or "",
            memory_limit=settings.memory_limit,
            max_temp_size=settings.max_temp_size,
        ),
        # the dbt of this interpreter's environment, whatever PATH the run was started with
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            target=settings.dbt_target,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))
