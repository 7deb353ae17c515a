"""The history of data quality that publish writes into the serving file, ``marts.mart_quality_history``:
one row per check of every refresh (GX suites on the sources, dbt tests on the models), so analysts see
when the data last passed and why a refresh was held back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

DESCRIPTION = (
    "One row per check of every refresh: the GX suites on the sources and the dbt tests on the models. "
    "A held refresh publishes nothing; its checks appear here, with refresh_passed false, from the next "
    "refresh that publishes. Key: refresh_id, check_name, asset_key. Written by publish, not by dbt."
)
COLUMNS = {  # name -> (type, description)
    "refresh_id": ("varchar", "The Dagster run of the refresh."),
    "refresh_started_at": ("timestamptz", "When the refresh's first check ran."),
    "refresh_passed": ("boolean", "Every blocking check of the refresh passed (so it published)."),
    "check_name": ("varchar", "The check: a GX suite (…_expectations) or a dbt test."),
    "asset_key": ("varchar", "The asset it checks, e.g. raw/statistics_observations or marts/fct_city_year."),
    "source_kind": ("varchar", "statistics, documents or reference for a GX suite; dbt_test for a dbt test."),
    "blocking": ("boolean", "Whether a failure holds the refresh back (dbt tests of severity error, the GX suites)."),
    "passed": ("boolean", "Whether the check passed."),
    "outcome": ("varchar", "passed, failed_blocking or warned."),
    "rows_checked": ("bigint", "Rows the check read (GX suites)."),
    "rows_failed": ("bigint", "Rows that broke the check: quarantined rows of a GX suite, failing rows of a dbt test."),
    "failed_rules": ("varchar", "The rules that failed, comma-separated."),
    "description": ("varchar", "What the check said: the failure with the file and the first rows, or passed."),
    "sample": ("varchar", "The first failing rows, as JSON."),
    "checked_at": ("timestamptz", "When the check ran."),
}


@dataclass(frozen=True)
class CheckRecord:
    refresh_id: str
    check_name: str
    asset_key: str
    source_kind: str
    blocking: bool
    passed: bool
    rows_checked: int | None
    rows_failed: int | None
    failed_rules: Sequence[str]
    description: str
    sample: Sequence[dict]
    checked_at: datetime


def history_rows(records: Sequence[CheckRecord], previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The history's rows: ``previous`` (the served history, of the same columns) and one row per record
    of the refreshes not already in it; a refresh's start and verdict come from all its checks."""
    new = pd.DataFrame(
        [
            {
                "refresh_id": r.refresh_id,
                "check_name": r.check_name,
                "asset_key": r.asset_key,
                "source_kind": r.source_kind,
                "blocking": r.blocking,
                "passed": r.passed,
                "outcome": "passed" if r.passed else "failed_blocking" if r.blocking else "warned",
                "rows_checked": r.rows_checked,
                "rows_failed": r.rows_failed,
                "failed_rules": ", ".join(r.failed_rules) or None,
                "description": r.description,
                "sample": json.dumps(list(r.sample), ensure_ascii=False, default=str) if r.sample else None,
                "checked_at": pd.Timestamp(r.checked_at),
            }
            for r in records
        ],
        columns=[c for c in COLUMNS if c not in ("refresh_started_at", "refresh_passed")],
    )
    if len(new):
        ok = new.assign(ok=new["passed"] | ~new["blocking"].astype(bool))
        refreshes = ok.groupby("refresh_id").agg(refresh_started_at=("checked_at", "min"), refresh_passed=("ok", "all"))
        new = new.join(refreshes, on="refresh_id")
    if previous is not None and len(previous):
        new = new[~new["refresh_id"].isin(set(previous["refresh_id"]))]
        new = pd.concat([previous[list(COLUMNS)], new[list(COLUMNS)]], ignore_index=True) if len(new) else previous
    return new.reindex(columns=list(COLUMNS))
