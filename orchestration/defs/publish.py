"""Publish: the last step of a refresh, run only when every blocking check upstream passed."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.defs.policies import DATA_ENGINEERING, RETRY
from orchestration.defs.resources import Warehouse
from orchestration.defs.transform import MART_KEYS, mart_descriptions, mart_source_kinds
from orchestration.quality.history import CheckRecord, history_rows
from orchestration.serving.publish import publish_marts, remove_stale_temporaries, served_history
from orchestration.serving.query import connect_reader
from orchestration.serving.spark_marts import spark_marts

# held refreshes since the last publication that the quality history takes in, at most
MAX_RUNS_LOOKED_BACK = 500
# the ingest assets whose materializations say when each kind of raw input last changed
INGEST_KEYS = {
    "statistics": dg.AssetKey(["raw", "statistics_observations"]),
    "documents": dg.AssetKey(["raw", "documents"]),
    "reference": dg.AssetKey(["raw", "admin_divisions"]),
}


@dg.asset(
    key=["serving", "warehouse"],
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb", "parquet"},
    owners=[DATA_ENGINEERING],
    retry_policy=RETRY,
)
def serving_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The published warehouse: `serving.duckdb` (schema marts) and `parquet/<mart>.parquet`, replaced
    atomically and only after every blocking check of the refresh passed; `marts.mart_quality_history`
    adds the checks of this refresh and of those held back since the last publication."""
    settings = warehouse.settings
    stale = remove_stale_temporaries(settings.warehouse_dir)
    if stale:
        context.log.warning(f"removed temporary files of an interrupted publish: {[p.name for p in stale]}")
    served, published_at = served_history(settings.serving_path)
    records = check_records(context.instance, context.run.run_id, published_at)
    names = [key.path[-1] for key in MART_KEYS]
    on_spark = settings.dbt_target == "spark"
    try:
        publication = publish_marts(
            spark_marts(settings.spark_dir, names) if on_spark else {name: f"build.marts.{name}" for name in names},
            settings.serving_path,
            settings.parquet_dir,
            refresh_id=context.run.run_id,
            quality_history=history_rows(records, served),
            mart_inputs=mart_source_kinds(),
            inputs_changed_at=inputs_changed_at(context.instance),
            attach=None if on_spark else settings.build_db_path,
            pause_before_replace=60 if settings.fault_pause == "publish" else 0,
            limits=settings.duckdb_limits,
            descriptions=mart_descriptions(),
        )
    finally:
        shutil.rmtree(settings.temp_dir, ignore_errors=True)  # what DuckDB spilled
    return dg.MaterializeResult(
        metadata={
            "serving_path": dg.MetadataValue.path(str(settings.serving_path)),
            "published_at": publication.published_at.isoformat(),
            "row_counts": publication.row_counts,
            "parquet_written": publication.parquet_written,
            "dagster/row_count": sum(publication.row_counts.values()),
            "preview": dg.MetadataValue.md(cluster_year_preview(settings.serving_path)),
        }
    )


def check_records(instance: dg.DagsterInstance, run_id: str, since: datetime | None) -> list[CheckRecord]:
    """The checks of this run and of every run created since the last publication (``since``; all runs
    before the first one): the held refreshes, from the Dagster instance's event log."""
    runs = instance.get_run_records(dg.RunsFilter(created_after=since), limit=MAX_RUNS_LOOKED_BACK)
    run_ids = [r.dagster_run.run_id for r in reversed(runs) if r.dagster_run.run_id != run_id] + [run_id]
    records = []
    for run in run_ids:
        for event in instance.get_records_for_run(run, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records:
            evaluation = event.event_log_entry.dagster_event.event_specific_data
            if "dagster/freshness_params" in (evaluation.metadata or {}):
                continue  # the freshness checks watch the serving file; they are not a refresh's checks
            records.append(check_record(run, evaluation, datetime.fromtimestamp(event.timestamp, UTC)))
    return records


def check_record(run_id: str, evaluation: dg.AssetCheckEvaluation, checked_at: datetime) -> CheckRecord:
    """A GX suite's or a dbt test's evaluation as the quality history keeps it."""
    metadata = {key: getattr(value, "value", value) for key, value in (evaluation.metadata or {}).items()}
    gx = "source_kind" in metadata
    failed = metadata.get("rows_quarantined_by_rules", metadata.get("dagster_dbt/failed_row_count"))
    failed_rules = metadata.get("failed_rules") if gx else ([] if evaluation.passed else [evaluation.check_name])
    return CheckRecord(
        refresh_id=run_id,
        check_name=evaluation.check_name,
        asset_key=evaluation.asset_key.to_user_string(),
        source_kind=metadata["source_kind"] if gx else "dbt_test",
        blocking=evaluation.severity == dg.AssetCheckSeverity.ERROR,
        passed=evaluation.passed,
        rows_checked=metadata.get("rows_checked"),
        rows_failed=int(failed) if failed is not None else None,
        failed_rules=failed_rules or [],
        description=evaluation.description or ("passed" if evaluation.passed else f"{failed} failing rows"),
        sample=metadata.get("first_failing_rows") or [],
        checked_at=checked_at,
    )


def inputs_changed_at(instance: dg.DagsterInstance) -> dict[str, datetime]:
    """When each kind of raw input last changed, as its ingest asset's last materialization says."""
    changed = {}
    for kind, key in INGEST_KEYS.items():
        event = instance.get_latest_materialization_event(key)
        if event is not None and event.asset_materialization is not None:
            value = event.asset_materialization.metadata.get("inputs_changed_at")
            if value is not None:
                changed[kind] = datetime.fromisoformat(value.value)
    return changed


PREVIEW_SQL = """
select cluster_id, year, gdp_cities_reported || '/' || member_count as gdp_reported_by,
       round(coalesce(gdp_yuan, gdp_reported_yuan) / 1e8, 2) as gdp_100m_yuan, gdp_yuan is not null as complete,
       gdp_vintage_mix, round(share_of_national_gdp_reported * 100, 2) as share_of_national_pct_at_least
from marts.mart_cluster_year where statistics_view = 'latest' and year >= 2016 order by cluster_id, year
"""


def cluster_year_preview(serving_path: Path) -> str:
    """mart_cluster_year as the UI shows it on the publication (Markdown): the latest view from 2016."""
    conn = connect_reader(serving_path)
    try:
        return conn.sql(PREVIEW_SQL).df().to_markdown(index=False)
    finally:
        conn.close()
