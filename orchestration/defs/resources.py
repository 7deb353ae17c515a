"""Resources, built from the WAREHOUSE_* variables; tests build their own with ``build_resources``."""

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.config import DBT_PROJECT_DIR, Settings, load_settings, warehouse_variables
from orchestration.serving.refresh_lock import exclusive_lock


class Warehouse(dg.ConfigurableResource):
    """The warehouse's settings, as the WAREHOUSE_* variables they are read from (the Dagster UI shows
    them); ``settings`` reads them as orchestration/config.py does everywhere else.

    A run holds the warehouse's refresh lock from its first step to its last (the in-process executor
    opens a run's resources once): one refresh at a time, whether `warehouse refresh`, the UI, the
    schedule or a sensor launched it. Sensors, which run outside a run, read the settings without it."""

    environment: dict[str, str]

    @property
    def settings(self) -> Settings:
        return load_settings(self.environment)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["Warehouse"]:
        if context.dagster_run is None:
            yield self
            return
        lock = self.settings.refresh_lock_path
        with exclusive_lock(lock, on_wait=lambda: context.log.warning(f"Another refresh holds {lock}; waiting.")):
            yield self


def build_resources(environment: Mapping[str, str]) -> dict[str, dg.ConfigurableResource]:
    """The resources of a refresh with the settings ``environment`` gives (its WAREHOUSE_* variables)."""
    warehouse = Warehouse(environment=warehouse_variables(environment))
    return {
        "warehouse": warehouse,
        # the dbt of this interpreter's environment, whatever PATH the run was started with
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            target=warehouse.settings.dbt_target,
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(warehouse_variables()))
