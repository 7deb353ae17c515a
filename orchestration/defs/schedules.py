"""Jobs, schedules and sensors: the daily refresh, refreshes when raw files change, failure alerts, and
the freshness of the published warehouse."""

import hashlib
import json
from datetime import timedelta

import dagster as dg

from orchestration.defs.publish import serving_warehouse
from orchestration.defs.resources import Warehouse
from orchestration.documents.corpus import document_files
from orchestration.lake.tables import manifest_path
from orchestration.raw_files.changes import detect_changes, read_state
from orchestration.reference.tables import reference_files
from orchestration.serving.alerts import record_alert
from orchestration.statistics.tables import statistics_files

# raw folder -> how its files are listed, and an ingest asset that reads them
INGEST = {
    "statistics": (statistics_files, dg.AssetKey(["raw", "statistics_observations"])),
    "documents": (document_files, dg.AssetKey(["raw", "documents"])),
    "reference": (reference_files, dg.AssetKey(["raw", "admin_divisions"])),
}

# The daily refresh runs at 02:00 Beijing time; the published warehouse is overdue two hours after the
# next one should have published.
serving_freshness_checks = dg.build_last_update_freshness_checks(
    assets=[serving_warehouse], lower_bound_delta=timedelta(hours=26)
)
serving_freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=serving_freshness_checks,
    name="serving_freshness_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
)

warehouse_refresh_job = dg.define_asset_job(
    "warehouse_refresh_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(*serving_freshness_checks),
    description="Refresh: ingest the raw roots (new and changed files; all with tag warehouse/full=true), "
    "build and test the dbt models, publish if every blocking check passed.",
)

warehouse_refresh_schedule = dg.ScheduleDefinition(
    name="warehouse_refresh_schedule",
    job=warehouse_refresh_job,
    cron_schedule="0 2 * * *",  # daily at 02:00 Beijing time, after the overnight file drops
    execution_timezone="Asia/Shanghai",
)


def raw_changes(warehouse: Warehouse) -> dict[str, list[str]]:
    """For each kind of raw input, what changed since its ingest asset last read it (``Changes.summary``),
    by the ingest assets' own detector against their manifests in the lake."""
    settings = warehouse.settings
    changed = {}
    for kind, (listing, _) in INGEST.items():
        changes = detect_changes(listing(settings.raw_dirs(kind)), read_state(manifest_path(settings.lake_dir, kind)))
        if changes.any:
            changed[kind] = changes.summary()
    return changed


@dg.sensor(job=warehouse_refresh_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def raw_files_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """A new, changed or deleted raw file starts a refresh of the assets that read it and everything
    downstream; the run key is the hash of the changes, so the same content never runs twice."""
    changes = raw_changes(warehouse)
    if not changes:
        return dg.SkipReason("no raw file changed since the warehouse read them")
    run_key = hashlib.sha256(json.dumps(changes, sort_keys=True).encode()).hexdigest()[:20]
    selection = dg.AssetSelection.assets(*[INGEST[kind][1] for kind in changes]).required_multi_asset_neighbors()
    keys = (selection | selection.downstream()).resolve(context.repository_def.asset_graph)
    summary = ", ".join(f"{len(v)} {k}" for k, v in changes.items())
    return dg.RunRequest(run_key=run_key, asset_selection=sorted(keys), tags={"warehouse/changes": summary})


@dg.run_failure_sensor(monitor_all_code_locations=True, default_status=dg.DefaultSensorStatus.RUNNING)
def refresh_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse):
    """The one writer of alerts: a failed refresh leaves an alert record (and a webhook POST when
    configured). All code locations, because a `warehouse refresh` from a shell runs in-process and
    belongs to none; the daemon evaluates this sensor."""
    if context.dagster_run.job_name != warehouse_refresh_job.name:
        return dg.SkipReason(f"{context.dagster_run.job_name} is not a refresh")
    settings = warehouse.settings
    message = context.failure_event.message or "refresh failed"
    record_alert(
        settings.alerts_path,
        settings.alert_webhook,
        settings.serving_path,
        context.dagster_run.run_id,
        context.dagster_run.job_name,
        message,
    )
