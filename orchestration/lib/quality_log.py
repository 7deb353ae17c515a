"""The warehouse's own record of data quality: rule failures of the current refresh, and the outcome of
every check of every refresh (append-only, so a held refresh stays on record)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

import duckdb
import pandas as pd

RULE_FAILURES_DDL = """
create table if not exists raw.rule_failures (
    refresh_id varchar, source_kind varchar not null, source_file varchar, source_row integer,
    record_key varchar, rule varchar not null, rule_kind varchar, why varchar
)"""
CHECK_HISTORY_DDL = """
create table if not exists raw.check_history (
    refresh_id varchar not null, check_name varchar not null, asset_key varchar, source_kind varchar,
    blocking boolean, passed boolean not null, rows_checked bigint, rows_failed bigint,
    failed_rules varchar, description varchar, sample varchar, checked_at timestamptz not null
)"""


@dataclass
class CheckRecord:
    refresh_id: str
    check_name: str
    asset_key: str
    source_kind: str
    blocking: bool
    passed: bool
    rows_checked: int | None
    rows_failed: int | None
    failed_rules: list[str]
    description: str
    sample: list[dict]
    checked_at: datetime


def ensure_quality_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(RULE_FAILURES_DDL)
    conn.execute(CHECK_HISTORY_DDL)


def clear_rule_failures(conn: duckdb.DuckDBPyConnection, source_kind: str) -> None:
    """Called by an ingest asset: its source's failures from an earlier refresh no longer apply."""
    ensure_quality_tables(conn)
    conn.execute("delete from raw.rule_failures where source_kind = ?", [source_kind])


def replace_rule_failures(
    conn: duckdb.DuckDBPyConnection, source_kind: str, refresh_id: str, failures: pd.DataFrame
) -> None:
    clear_rule_failures(conn, source_kind)
    if not len(failures):
        return
    rows = pd.DataFrame(
        {
            "refresh_id": refresh_id,
            "source_kind": source_kind,
            "source_file": failures.get("source_file"),
            "source_row": failures.get("source_row"),
            "record_key": failures["record_key"],
            "rule": failures["rule"],
            "rule_kind": failures["rule_kind"],
            "why": failures["why"],
        }
    )
    conn.register("_failures", rows)
    try:
        conn.execute("insert into raw.rule_failures select * from _failures")
    finally:
        conn.unregister("_failures")


def record_checks(conn: duckdb.DuckDBPyConnection, records: list[CheckRecord]) -> None:
    ensure_quality_tables(conn)
    for record in records:
        row = asdict(record)
        row["failed_rules"] = ", ".join(record.failed_rules) or None
        row["sample"] = json.dumps(record.sample, ensure_ascii=False, default=str) if record.sample else None
        conn.execute(
            "insert into raw.check_history values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row[k]
                for k in (
                    "refresh_id",
                    "check_name",
                    "asset_key",
                    "source_kind",
                    "blocking",
                    "passed",
                    "rows_checked",
                    "rows_failed",
                    "failed_rules",
                    "description",
                    "sample",
                    "checked_at",
                )
            ],
        )
