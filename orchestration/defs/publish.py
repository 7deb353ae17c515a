"""Publish: the last step of a refresh, run only when every blocking check upstream passed."""

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.defs.transform import MART_KEYS, mart_source_kinds
from orchestration.lib.publish import publish_marts, remove_stale_temporaries


@dg.asset(
    key=["serving", "warehouse"],
    deps=MART_KEYS,
    group_name="serving",
    kinds={"duckdb", "parquet"},
    pool="warehouse_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
)
def serving_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The published warehouse: serving.duckdb (schema marts) and parquet/<mart>.parquet, replaced
    atomically and only after every blocking check of the refresh passed."""
    settings = warehouse.settings
    stale = remove_stale_temporaries(settings.warehouse_dir)
    if stale:
        context.log.warning(f"removed temporary files of an interrupted publish: {[p.name for p in stale]}")
    publication = publish_marts(
        settings.build_db_path,
        settings.serving_path,
        settings.parquet_dir,
        refresh_id=context.run.run_id,
        mart_inputs=mart_source_kinds(),
        pause_before_replace=60 if settings.fault_pause == "publish" else 0,
    )
    return dg.MaterializeResult(
        metadata={
            "serving_path": dg.MetadataValue.path(str(settings.serving_path)),
            "published_at": publication.published_at.isoformat(),
            "row_counts": publication.row_counts,
            "dagster/row_count": sum(publication.row_counts.values()),
        }
    )
