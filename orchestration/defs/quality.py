"""Blocking data-quality checks: the GX suites of ``lib/suites.py`` on each ingested source.

Each check reads its source from the build database, runs the suite, records every rule failure in
``raw.rule_failures`` (the staging models leave those rows out, and ``mart_quarantine`` shows them) and
its own outcome in ``raw.check_history`` (``mart_quality_history``). It fails, and so holds the refresh
back, when a blocking table rule fails or a file's share of rows breaking blocking rules passes the
threshold; it then names the rule, the file and the first failing rows.
"""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd

from orchestration.config import DBT_PROJECT_DIR, FULL_REFRESH_TAG
from orchestration.defs.resources import Warehouse
from orchestration.lib.expectations import judge, sample_rows
from orchestration.lib.quality_log import CheckRecord, record_checks, replace_rule_failures
from orchestration.lib.suite_server import validate
from orchestration.lib.suites import Suite, prepare_documents, prepare_statistics


def _gate(
    context: dg.AssetCheckExecutionContext,
    warehouse: Warehouse,
    source_kind: str,
    query: str | Callable[[object], tuple[str, list]],
    rules_function: str,
    prepare: Callable[[pd.DataFrame, date], pd.DataFrame],
    record_key: Callable[[pd.DataFrame], pd.Series],
    rules_arguments: Callable[[object], tuple] = lambda conn: (),
) -> dg.AssetCheckResult:
    checked_at = datetime.now(UTC)
    with warehouse.connect(read_only=True) as conn:
        sql, parameters = query(conn) if callable(query) else (query, [])
        frame = conn.execute(sql, parameters).df()
        suite = Suite(source_kind, rules_function, rules_arguments(conn))
    frame = prepare(frame, checked_at.date()) if len(frame) else frame
    outcomes = validate(frame, suite) if len(frame) else []
    verdict = judge(frame, outcomes)
    failures = verdict.quarantine
    if len(failures):
        failures = failures.assign(record_key=record_key(failures))
    with warehouse.connect() as conn:
        replace_rule_failures(conn, source_kind, context.run.run_id, failures)
        record_checks(
            conn,
            [
                CheckRecord(
                    refresh_id=context.run.run_id,
                    check_name=context.check_specs[0].name,
                    asset_key=context.check_specs[0].asset_key.to_user_string(),
                    source_kind=source_kind,
                    blocking=True,
                    passed=verdict.passed,
                    rows_checked=len(frame),
                    rows_failed=failures["position"].nunique() if len(failures) else 0,
                    failed_rules=sorted(set(failures["rule"])) if len(failures) else [],
                    description=verdict.summary(),
                    sample=sample_rows(failures) if len(failures) else [],
                    checked_at=checked_at,
                )
            ],
        )
    if not verdict.passed:
        context.log.error(f"{source_kind} held back:\n{verdict.summary()}")
    elif len(failures):
        context.log.warning(f"{len(failures)} {source_kind} rows quarantined by rules (below the file threshold)")
    return dg.AssetCheckResult(
        passed=verdict.passed,
        description=verdict.summary()[:2000],
        metadata={
            "rows_checked": len(frame),
            "rows_quarantined_by_rules": int(failures["position"].nunique()) if len(failures) else 0,
            "files_over_threshold": dg.MetadataValue.json(verdict.failed_files),
            "table_rule_failures": dg.MetadataValue.json(verdict.table_failures),
            "warnings": dg.MetadataValue.json(verdict.warnings),
            "first_failing_rows": dg.MetadataValue.json(json.loads(json.dumps(sample_rows(failures), default=str)))
            if len(failures)
            else dg.MetadataValue.json([]),
        },
    )


def _known_codes(conn) -> frozenset[str]:
    codes = set(conn.execute("select code from raw.admin_divisions").df()["code"].dropna())
    for seed, column in (
        ("cluster_members", "city_code"),
        ("regions", "region_code"),
        ("region_code_aliases", "alias_code"),
    ):
        codes |= set(pd.read_csv(DBT_PROJECT_DIR / "seeds" / f"{seed}.csv", dtype=str)[column])
    return frozenset(codes)


@dg.asset_check(asset=dg.AssetKey(["raw", "statistics_observations"]), blocking=True)
def statistics_observations_expectations(
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> dg.AssetCheckResult:
    """GX suite on every figure: schema, required fields, ranges per indicator, years within the file's
    period, known codes, unit mix-ups (10⁴/10⁸ off the series) and duplicates. Breaking rows are
    quarantined; a file with more than 5% of its rows breaking blocking rules holds the refresh back."""
    return _gate(
        context,
        warehouse,
        "statistics",
        "select * from raw.statistics_observations",
        "statistics_rules",
        prepare_statistics,
        lambda rows: rows["indicator"] + "|" + rows["year"].astype(str),
        lambda conn: (_known_codes(conn),),
    )


DOCUMENTS_CHECK = "documents_expectations"


def documents_to_check(conn, full: bool) -> tuple[str, list]:
    """The raw.documents rows the documents suite reads: all of them in a full refresh or when no
    documents check has passed yet; otherwise those loaded since the last check that passed, and every
    row whose (document_id, source_file) is not unique in the whole table. The rows left out passed
    every rule when that check passed (a document file is one row, so a failing row always fails its
    check, and a date within 1949 and that day stays within 1949 and today)."""
    select = "select *, null::integer as source_row from raw.documents"
    has_history = conn.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'check_history'"
    ).fetchone()[0]
    last_passed = (
        None
        if full or not has_history
        else conn.execute(
            "select max(checked_at) from raw.check_history where check_name = ? and source_kind = 'documents' "
            "and passed",
            [DOCUMENTS_CHECK],
        ).fetchone()[0]
    )
    if last_passed is None:
        return select, []
    return (
        f"""{select}
        where loaded_at > ?
            or (document_id, source_file) in (
                select (document_id, source_file) from raw.documents group by all having count(*) > 1
            )""",
        [last_passed],
    )


@dg.asset_check(asset=dg.AssetKey(["raw", "documents"]), blocking=True, name=DOCUMENTS_CHECK)
def documents_expectations(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    """GX suite on the documents loaded in this refresh (every document in a full refresh): schema, an
    id, text left after cleaning, a publication date between 1949 and today, unique ids over the whole
    table; a truncated text only warns."""
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    return _gate(
        context,
        warehouse,
        "documents",
        lambda conn: documents_to_check(conn, full),
        "document_rules",
        prepare_documents,
        lambda rows: rows["document_id"],
    )


@dg.asset_check(asset=dg.AssetKey(["raw", "admin_divisions"]), blocking=True)
def admin_divisions_expectations(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
    """GX suite on the NBS codes: schema, 6-digit codes, names, known levels, one row per code and level."""
    return _gate(
        context,
        warehouse,
        "reference",
        "select * from raw.admin_divisions",
        "reference_rules",
        lambda frame, today: frame,
        lambda rows: rows["level"] + "|" + rows["code"].fillna(""),
    )


# Written by the checks above and by the dbt step, not materialized by any asset; declared so the
# asset graph shows where mart_quarantine and mart_quality_history read from.
quality_tables = [
    dg.AssetSpec(
        ["raw", "rule_failures"],
        group_name="raw",
        kinds={"duckdb"},
        description="Rows that broke a blocking rule in the current refresh, written by the GX checks.",
    ),
    dg.AssetSpec(
        ["raw", "check_history"],
        group_name="raw",
        kinds={"duckdb"},
        description="Every check of every refresh (GX suites and dbt tests), append-only.",
    ),
]
