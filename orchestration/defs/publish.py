"""Publish: the last step of a refresh, run only when every blocking check upstream passed."""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.resources import Warehouse
from orchestration.defs.transform import MART_KEYS, dbt_project_manifest, mart_source_kinds
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
    """The published warehouse: `serving.duckdb` (schema marts) and `parquet/<mart>.parquet`, replaced
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
        compare_rows=marts_compared_by_row(),
    )
    return dg.MaterializeResult(
        metadata={
            "serving_path": dg.MetadataValue.path(str(settings.serving_path)),
            "published_at": publication.published_at.isoformat(),
            "row_counts": publication.row_counts,
            "parquet_spliced": publication.parquet_spliced,
            "dagster/row_count": sum(publication.row_counts.values()),
            "preview": dg.MetadataValue.md(cluster_year_preview(settings.serving_path)),
        }
    )


def marts_compared_by_row() -> set[str]:
    """Marts whose rows of a document depend on other documents too (config meta
    ``rows_depend_on_other_documents`` in the dbt model): publish compares their rows."""
    return {
        node["name"]
        for node in dbt_project_manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("meta", {}).get("rows_depend_on_other_documents")
    }


PREVIEW_SQL = """
select cluster_id, year, gdp_cities_reported || '/' || member_count as gdp_reported_by,
       round(coalesce(gdp_yuan, gdp_reported_yuan) / 1e8, 2) as gdp_100m_yuan, gdp_yuan is not null as complete,
       round(share_of_national_gdp_reported * 100, 2) as share_of_national_pct_at_least
from marts.mart_cluster_year order by cluster_id, year
"""


def cluster_year_preview(serving_path: Path) -> str:
    """mart_cluster_year as the UI shows it on the publication (Markdown)."""
    conn = duckdb.connect(str(serving_path), read_only=True)
    try:
        return conn.sql(PREVIEW_SQL).df().to_markdown(index=False)
    finally:
        conn.close()
