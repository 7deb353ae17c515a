"""Jobs, schedules and sensors: the daily refresh, refreshes when raw files change, failure alerts and
an hourly freshness check."""

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.resources import Warehouse
from orchestration.lib.alerts import record_alert
from orchestration.lib.corpus import document_files
from orchestration.lib.warm import warm_up

# Daily refresh at 02:00 Beijing time; the freshness check warns past this age.
MAX_PUBLICATION_AGE = timedelta(hours=26)
INGEST_ASSETS = {  # raw folder -> the ingest assets that read it
    "statistics": [dg.AssetKey(["raw", "statistics_observations"])],
    "documents": [dg.AssetKey(["raw", "documents"])],
    "reference": [dg.AssetKey(["raw", "admin_divisions"])],
}

FRESHNESS_CHECK = dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey(["serving", "warehouse"]), "serving_is_fresh"))

warehouse_refresh_job = dg.define_asset_job(
    "warehouse_refresh_job",
    selection=dg.AssetSelection.all() - FRESHNESS_CHECK,
    description="Refresh: ingest the raw roots (new and changed files; all with tag warehouse/full=true), "
    "build and test the dbt models, publish if every blocking check passed.",
)

freshness_check_job = dg.define_asset_job(
    "freshness_check_job",
    selection=FRESHNESS_CHECK,
    description="Warn when the published warehouse is older than the daily schedule allows.",
)

warehouse_refresh_schedule = dg.ScheduleDefinition(
    name="warehouse_refresh_schedule",
    job=warehouse_refresh_job,
    cron_schedule="0 2 * * *",  # daily at 02:00 Beijing time, after the overnight file drops
    execution_timezone="Asia/Shanghai",
)

freshness_check_schedule = dg.ScheduleDefinition(
    name="freshness_check_schedule",
    job=freshness_check_job,
    cron_schedule="15 * * * *",  # hourly, a quarter past
    execution_timezone="Asia/Shanghai",
)


def scan_raw_files(warehouse: Warehouse, previous: dict) -> tuple[dict, dict[str, list[str]]]:
    """(state, changes): state is kind -> path -> [size, mtime_ns, sha256] of every raw file the ingest
    assets would read; changes is kind -> sorted 'path:sha256' or 'path:deleted'. A file whose size and
    mtime match ``previous`` is not read."""
    state: dict[str, dict[str, list]] = {}
    changes: dict[str, list[str]] = {}
    for kind in INGEST_ASSETS:
        before = previous.get(kind, {})
        state[kind], entries = {}, []
        for path in document_files(warehouse.settings.raw_dirs(kind)):  # no hidden files or READMEs
            key, stat = path, os.stat(path)
            old = before.get(key)
            if old and old[:2] == [stat.st_size, stat.st_mtime_ns]:
                state[kind][key] = old
                continue
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            state[kind][key] = [stat.st_size, stat.st_mtime_ns, digest]
            if not old or old[2] != digest:
                entries.append(f"{key}:{digest}")
        entries += [f"{path}:deleted" for path in before if path not in state[kind]]
        if entries:
            changes[kind] = sorted(entries)
    return state, changes


@dg.sensor(job=warehouse_refresh_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_files_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """A new, changed or deleted raw file starts a refresh of the assets that read it and everything
    downstream; the run key is the hash of the changes, so the same content never runs twice. Every tick
    also keeps the warm GX and dbt servers there (lib/warm.py), so that refresh finds them ready."""
    warm_up(warehouse.settings)
    state, changes = scan_raw_files(warehouse, json.loads(context.cursor) if context.cursor else {})
    context.update_cursor(json.dumps(state))
    if not changes:
        return dg.SkipReason("no raw file changed")
    run_key = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:20]
    selection = dg.AssetSelection.assets(*[key for kind in changes for key in INGEST_ASSETS[kind]])
    selection = selection.required_multi_asset_neighbors()
    keys = (selection | selection.downstream()).resolve(context.repository_def.asset_graph)
    summary = ", ".join(f"{len(v)} {k}" for k, v in changes.items())
    return dg.RunRequest(run_key=run_key, asset_selection=sorted(keys), tags={"warehouse/changes": summary})


@dg.run_failure_sensor(monitored_jobs=[warehouse_refresh_job], default_status=dg.DefaultSensorStatus.RUNNING)
def refresh_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse):
    """A failed refresh leaves an alert record (and a webhook POST when configured)."""
    message = context.failure_event.message or "refresh failed"
    record_alert(warehouse.settings, context.dagster_run.run_id, context.dagster_run.job_name, message)


@dg.asset_check(asset=dg.AssetKey(["serving", "warehouse"]), blocking=False)
def serving_is_fresh(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warns when the published warehouse is older than the daily schedule allows (26 hours)."""
    path = warehouse.settings.serving_path
    if not path.exists():
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN, description="nothing published yet"
        )
    conn = duckdb.connect(str(path), read_only=True)
    try:
        published_at, changed_at = conn.execute(
            "select max(published_at), max(inputs_last_changed_at) from meta.publication"
        ).fetchone()
    finally:
        conn.close()
    age = datetime.now(UTC) - published_at
    return dg.AssetCheckResult(
        passed=age <= MAX_PUBLICATION_AGE,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"published {age.total_seconds() / 3600:.1f} hours ago (limit {MAX_PUBLICATION_AGE})",
        metadata={"published_at": published_at.isoformat(), "inputs_last_changed_at": str(changed_at)},
    )
