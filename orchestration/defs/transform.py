"""dbt models, seeds and tests as Dagster assets and checks (staging → intermediate → marts)."""

import functools
import json
import shutil
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.config import DBT_PROJECT_DIR, FULL_REFRESH_TAG, dbt_environment
from orchestration.defs.resources import Warehouse
from orchestration.serving.publish import MartDescription

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# Under `dg dev` (make ui) this re-parses the project; elsewhere `make` has parsed it before anything loads.
dbt_project.prepare_if_dev()


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [layer, name] and group = layer; a dbt source table (one source per lake folder:
    statistics, documents, reference) is raw/<table>, the key of the ingest asset that writes it."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = self.get_resource_props(manifest, unique_id)
        if node["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey(["raw", node["name"]]), group_name="raw")
        layer = node["fqn"][1] if node["resource_type"] == "model" else "seeds"
        return spec.replace_attributes(key=dg.AssetKey([layer, node["name"]]), group_name=layer)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Seed, build and test every dbt model (in the build database, or in Spark on the spark target) from
    the lake's Parquet files; a failing error-level test stops its downstream models and fails the step,
    so nothing after it is published; so does a model past DuckDB's memory_limit and
    max_temp_directory_size (WAREHOUSE_MEMORY_LIMIT, WAREHOUSE_MAX_TEMP_SIZE). dbt's target folder is
    the warehouse's own, so its partial parse serves the next refresh of the same warehouse."""
    settings = warehouse.settings
    args = ["build", "--full-refresh"] if context.run.tags.get(FULL_REFRESH_TAG) == "true" else ["build"]
    try:
        with dbt_environment(settings):
            events = dbt.cli(args, context=context, target_path=settings.dbt_target_dir).stream()
            # row counts come through dbt's adapter in this process; Spark's would start a second Spark
            yield from events if settings.dbt_target == "spark" else events.fetch_row_counts()
    finally:
        shutil.rmtree(settings.temp_dir, ignore_errors=True)  # what DuckDB spilled, also after a failure


MART_KEYS = [key for key in warehouse_models.keys if key.path[0] == "marts"]


@functools.cache
def _manifest_nodes() -> dict[str, dict[str, Any]]:
    """The manifest's models, tests, seeds and sources, read once: the definitions were built from it."""
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    return {**manifest["nodes"], **manifest["sources"]}


def _marts(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {
        unique_id: node
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model" and node["fqn"][1] == "marts"
    }


def mart_source_kinds() -> dict[str, set[str]]:
    """For each mart, the kinds of raw input (lake folders) it is built from, walking the manifest's lineage."""
    nodes = _manifest_nodes()

    @functools.cache
    def inputs(unique_id: str) -> frozenset[str]:
        node = nodes.get(unique_id, {})
        if node.get("resource_type") == "source":
            return frozenset({node["source_name"]})
        return frozenset().union(*(inputs(p) for p in node.get("depends_on", {}).get("nodes", [])))

    return {node["name"]: set(inputs(unique_id)) for unique_id, node in _marts(nodes).items()}


def mart_descriptions() -> dict[str, MartDescription]:
    """Each mart's description and its columns' as the dbt docs give them, for the published tables' comments."""
    return {
        node["name"]: MartDescription(
            node["description"].strip(),
            {name: column["description"].strip() for name, column in node["columns"].items()},
        )
        for node in _marts(_manifest_nodes()).values()
    }
