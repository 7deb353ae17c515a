"""dbt models, seeds and tests as Dagster assets and checks (staging → intermediate → marts)."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.config import DBT_PROJECT_DIR
from orchestration.defs.resources import Warehouse

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# Under `dagster dev` this re-parses the project; elsewhere `make` has parsed it before anything loads.
dbt_project.prepare_if_dev()


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [layer, name] and group = layer; dbt sources keep their source name as prefix."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = self.get_resource_props(manifest, unique_id)
        if node["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey([node["source_name"], node["name"]]))
        layer = node["fqn"][1] if node["resource_type"] == "model" else "seeds"
        return spec.replace_attributes(key=dg.AssetKey([layer, node["name"]]), group_name=layer)


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the dbt subprocess, restoring the previous values after."""
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


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    pool="warehouse_writer",
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Seed, build and test every dbt model in the build database; a failing error-level test stops its
    downstream models and fails the step, so nothing after it is published."""
    with environment(warehouse.settings.dbt_env()):
        yield from dbt.cli(["build"], context=context).stream()


MART_KEYS = [key for key in warehouse_models.keys if key.path[0] == "marts"]
