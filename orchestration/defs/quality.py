"""Blocking data-quality checks: each source's lake copy, the one the dbt sources read, against its GX
rules (``quality/rules.py``).

The ingest assets ran the row rules as they wrote the lake and recorded every row that breaks one in the
source's rule-failure table; those rows never reach the models. A check runs the table rules on the lake
copy and the threshold rule on its files: it fails, and so holds the refresh back, when a table rule fails
or more than 5% of a file's rows break blocking rules, and then names the rule, the file and the first
failing rows. Its metadata is what ``marts.mart_quality_history`` keeps (publish writes it).
"""

import json

import dagster as dg
import duckdb

from orchestration.defs.resources import Warehouse
from orchestration.lake.tables import parquet_glob
from orchestration.quality.expectations import gate
from orchestration.quality.rules import document_rules, reference_rules, statistics_rules


def _gate(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse, source_kind: str, table: str, failures: str, rules
) -> dg.AssetCheckResult:
    """The verdict of ``rules`` on the lake's ``table`` of the source and its rule-failure table."""
    folder = warehouse.settings.lake_dir / source_kind
    conn = duckdb.connect()
    try:
        frame = conn.sql(f"select * from read_parquet('{parquet_glob(folder / table)}')").df()
        failed = conn.sql(f"select * from read_parquet('{parquet_glob(folder / failures)}')").df()
    finally:
        conn.close()
    verdict = gate(frame, failed, source_kind, rules)
    if not verdict.passed:
        context.log.error(f"{source_kind} held back:\n{verdict.summary()}")
    elif verdict.rows_failed:
        context.log.warning(f"{verdict.rows_failed} {source_kind} rows quarantined by rules (below the file threshold)")
    return dg.AssetCheckResult(
        passed=verdict.passed,
        description=verdict.summary()[:2000],
        metadata={
            "source_kind": source_kind,
            "rows_checked": verdict.rows_checked,
            "rows_quarantined_by_rules": verdict.rows_failed,
            "failed_rules": dg.MetadataValue.json(verdict.failed_rules),
            "files_over_threshold": dg.MetadataValue.json(verdict.failed_files),
            "table_rule_failures": dg.MetadataValue.json(verdict.table_failures),
            "warnings": dg.MetadataValue.json(verdict.warnings),
            "first_failing_rows": dg.MetadataValue.json(json.loads(json.dumps(verdict.sample, default=str))),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw", "statistics_observations"]),
    additional_deps=[dg.AssetKey(["raw", "statistics_rule_failures"])],
    blocking=True,
)
def statistics_observations_expectations(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    """GX on the lake's figures: schema and types, and no file with more than 5% of its figures breaking a
    blocking rule (required fields, ranges per indicator, years within the file's period, known codes,
    unit mix-ups of 10⁴/10⁸ off the series, duplicates); fewer are quarantined and the rest go on."""
    rules = statistics_rules(frozenset())  # the table rules need no codes
    return _gate(context, warehouse, "statistics", "statistics_observations", "statistics_rule_failures", rules)


@dg.asset_check(
    asset=dg.AssetKey(["raw", "documents"]),
    additional_deps=[dg.AssetKey(["raw", "document_rule_failures"])],
    blocking=True,
)
def documents_expectations(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    """GX on the lake's documents: schema, one row per file, and no document breaking a blocking rule (an
    id, text left after cleaning, a publication date between 1949 and today); a truncated text only warns."""
    return _gate(context, warehouse, "documents", "documents", "document_rule_failures", document_rules())


@dg.asset_check(
    asset=dg.AssetKey(["raw", "admin_divisions"]),
    additional_deps=[dg.AssetKey(["raw", "reference_rule_failures"])],
    blocking=True,
)
def admin_divisions_expectations(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    """GX on the lake's NBS codes: schema, and no file with more than 5% of its rows breaking a blocking
    rule (6-digit codes, names, known levels, one row per code and level)."""
    return _gate(context, warehouse, "reference", "admin_divisions", "reference_rule_failures", reference_rules())
