"""dbt models, seeds and tests as Dagster assets and checks (staging → intermediate → marts)."""

import functools
import json
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.config import DBT_PROJECT_DIR, FULL_REFRESH_TAG, Settings
from orchestration.defs.resources import Warehouse
from orchestration.lib.lake import export_missing, export_tables, lake_source
from orchestration.lib.quality_log import CheckRecord, ensure_quality_tables, record_checks
from orchestration.lib.spark_target import load_spark_marts
from orchestration.lib.warm_dbt import partial_parse_name, server_environment

# written by the checks and by this step, not by an ingest asset: this step hands them to the lake
QUALITY_TABLES = ["raw.rule_failures", "raw.check_history"]

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
# Under `dagster dev` this re-parses the project; elsewhere `make` has parsed it before anything loads.
dbt_project.prepare_if_dev()


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [layer, name] and group = layer; dbt sources keep their source name as key prefix
    and group (the quality tables the checks write, raw.check_history and raw.rule_failures, are
    sources that no ingest asset materializes)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None):
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = self.get_resource_props(manifest, unique_id)
        if node["resource_type"] == "source":
            return spec.replace_attributes(
                key=dg.AssetKey([node["source_name"], node["name"]]), group_name=node["source_name"]
            )
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
    """Seed, build and test every dbt model (in the build database, or in Spark on the spark target) from
    the lake's Parquet files; a failing error-level test stops its downstream models and fails the step,
    so nothing after it is published."""
    records: list[CheckRecord] = []
    events: list = []
    failure: Exception | None = None
    settings = warehouse.settings
    with warehouse.connect() as conn:
        ensure_quality_tables(conn)
        export_tables(conn, settings.lake_dir, QUALITY_TABLES)
        export_missing(conn, settings.lake_dir)
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    invocation = f"warehouse_models-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"  # as dagster-dbt names it
    target_path = dbt_project.project_dir / "target" / invocation
    try:
        server = server_environment()
        context.log.info("dbt runs in the warm dbt server" if server else "dbt starts cold: no dbt server is there")
        with environment({**settings.dbt_env(), **server}), partial_parse_cache(settings, target_path):
            dbt_run = None
            try:
                # --full-refresh rebuilds the incremental models from scratch
                args = ["build", "--full-refresh"] if full else ["build"]
                dbt_run = dbt.cli(args, context=context, target_path=target_path)
                for event in dbt_run.stream():
                    events.append(event)
            except Exception as exc:  # noqa: BLE001 - what dbt built and tested goes out first, then this
                failure = exc
                if dbt_run is not None:
                    stop_dbt(dbt_run)
        on_spark = settings.dbt_target == "spark"
        if on_spark:  # the steps after this one read the marts from the build database
            with warehouse.connect() as conn:
                load_spark_marts(conn, settings.spark_dir, [key.path[-1] for key in MART_KEYS])
        # dbt (another process) has closed the build database: count what it built
        with warehouse.connect(read_only=True) as conn:
            for event in events:
                if isinstance(event, dg.AssetCheckResult):
                    records.append(dbt_test_record(context.run.run_id, event))
                elif isinstance(event, dg.Output):
                    key = context.asset_key_for_output(event.output_name)
                    # Spark's views are not in the build database; counting a view would run its query
                    if (not on_spark or key.path[0] == "marts") and key.path[-1] in table_models():
                        event = with_row_count(conn, event, key)
                yield event
        if failure is not None:
            raise failure
    finally:
        # the tests that ran, passed or not, go on record even when a failure stops the build
        with warehouse.connect() as conn:
            record_checks(conn, records)
            export_tables(conn, settings.lake_dir, ["raw.check_history"])
        prune_invocation_folders(dbt_project.project_dir / "target")


def stop_dbt(dbt_run: DbtCliInvocation) -> None:
    """Interrupt dbt if it still runs after reading its events failed, and wait for it to end (as long
    as dagster-dbt waits for an interrupted dbt): it holds the build database, which this step opens next."""
    process = dbt_run.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # warehouse-dbt hands it to dbt in the warm server
        try:
            process.wait(timeout=dbt_run.termination_timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def partial_parse_cache(settings: Settings, target_path: Path) -> Iterator[None]:
    """dbt re-parses the whole project (seconds) when its profile or target differ from those of the
    parse it finds, and the build database's path is part of the profile. Keep dbt's partial-parse file
    per target and environment, hand it to the invocation and keep what the invocation wrote."""
    cache = target_path.parent / partial_parse_name(settings.dbt_target, settings.dbt_env())
    if cache.is_file():
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target_path / "partial_parse.msgpack")
    try:
        yield
    finally:
        written = target_path / "partial_parse.msgpack"
        if written.is_file():
            tmp = cache.with_name(f".{cache.name}.{uuid.uuid4().hex}.tmp")
            shutil.copyfile(written, tmp)
            os.replace(tmp, cache)
        caches = sorted(cache.parent.glob("partial_parse-*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in caches[KEPT_INVOCATIONS:]:
            old.unlink(missing_ok=True)


def with_row_count(conn, output: dg.Output, key: dg.AssetKey) -> dg.Output:
    """The model's row count on its materialization (the relation is schema.name = layer.name)."""
    layer, name = key.path
    count = conn.execute(f'select count(*) from "{layer}"."{name}"').fetchone()[0]
    return output.with_metadata({**output.metadata, "dagster/row_count": count})


KEPT_INVOCATIONS = 10


def prune_invocation_folders(target: Path, keep: int = KEPT_INVOCATIONS) -> None:
    """dagster-dbt gives every invocation its own folder under target/ (logs, compiled SQL, run
    results); keep the newest few so a scheduled warehouse does not fill its disk."""
    folders = sorted(
        (p for p in target.glob("warehouse_models-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def dbt_test_record(refresh_id: str, result: dg.AssetCheckResult) -> CheckRecord:
    metadata = {key: getattr(value, "value", value) for key, value in (result.metadata or {}).items()}
    failed = metadata.get("dagster_dbt/failed_row_count")
    return CheckRecord(
        refresh_id=refresh_id,
        check_name=result.check_name,
        asset_key=result.asset_key.to_user_string() if result.asset_key else "",
        source_kind="dbt_test",
        blocking=result.severity == dg.AssetCheckSeverity.ERROR,
        passed=result.passed,
        rows_checked=None,
        rows_failed=int(failed) if failed is not None else None,
        failed_rules=[] if result.passed else [result.check_name],
        description=result.description or ("passed" if result.passed else f"{failed} failing rows"),
        sample=[],
        checked_at=datetime.now(UTC),
    )


MART_KEYS = [key for key in warehouse_models.keys if key.path[0] == "marts"]


@functools.cache
def table_models() -> set[str]:
    """Models and seeds stored as tables (counting their rows is cheap), not views."""
    nodes = dbt_project_manifest()["nodes"].values()
    return {
        node["name"]
        for node in nodes
        if node["resource_type"] == "seed"
        or (node["resource_type"] == "model" and node["config"].get("materialized") in ("table", "incremental"))
    }


def mart_source_kinds() -> dict[str, set[str]]:
    """For each mart, the kinds of raw input it is built from, walking the dbt manifest's lineage."""
    nodes = {**dbt_project_manifest()["nodes"], **dbt_project_manifest()["sources"]}
    kinds: dict[str, set[str]] = {}

    def inputs(unique_id: str) -> set[str]:
        if unique_id not in kinds:
            node = nodes.get(unique_id, {})
            if node.get("resource_type") == "source":
                kinds[unique_id] = {lake_source(node["name"])}  # a raw table's kind is its lake folder
            else:
                kinds[unique_id] = set().union(*(inputs(p) for p in node.get("depends_on", {}).get("nodes", [])))
        return kinds[unique_id]

    return {
        node["name"]: inputs(unique_id) - {"quality"}
        for unique_id, node in nodes.items()
        if node.get("resource_type") == "model" and node["fqn"][1] == "marts"
    }


@functools.cache
def dbt_project_manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
