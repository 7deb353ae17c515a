"""Reference tables we receive (administrative codes, prefecture name history) into the lake.

A raw root may or may not carry them; when none does, the tables are written empty so the dbt sources
exist and the city dimension falls back to the cluster-membership seed.
"""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.config import FULL_REFRESH_TAG
from orchestration.defs.policies import RETRY, raw_table, raw_table_results
from orchestration.defs.resources import Warehouse
from orchestration.lake.tables import SourceVersion, manifest_path, row_count, write_table
from orchestration.quality.expectations import RULE_FAILURE_COLUMNS, rule_failures
from orchestration.quality.rules import reference_rules
from orchestration.raw_files.changes import detect_changes, last_change, read_state, state_after, write_state
from orchestration.reference.tables import REFERENCE_TABLES, read_reference, reference_files

RULE_FAILURES = "reference_rule_failures"


@dg.multi_asset(
    specs=[
        *(raw_table(t.name, t.description) for t in REFERENCE_TABLES),
        raw_table(
            RULE_FAILURES,
            "One row per administrative division and data-quality row rule it breaks; divisions breaking a "
            "blocking rule never reach the models.",
        ),
    ],
    group_name="raw",
    retry_policy=RETRY,
)
def reference(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Reload the reference tables of every raw root when any of their files is new, changed or gone
    (always with the run tag warehouse/full=true); otherwise keep them unread."""
    settings = warehouse.settings
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    folders = settings.raw_dirs("reference")
    loaded_at = datetime.now(UTC)
    previous = read_state(manifest_path(settings.lake_dir, "reference"))
    changes = detect_changes(reference_files(folders), previous, full)
    reload = full or changes.any or not manifest_path(settings.lake_dir, "reference").is_file()
    state = previous
    conn = duckdb.connect()
    try:
        if reload or changes.rehashed:
            with SourceVersion(settings.lake_dir, "reference") as version:
                hashes = {}
                for table in REFERENCE_TABLES if reload else ():
                    rows, read = read_reference(table, folders)
                    hashes.update(read)
                    conn.register("_rows", rows)
                    write_table(conn, version.table(table.name), table.columns, "select * from _rows")
                    if table.name == "admin_divisions":
                        failures = rule_failures(
                            rows, "reference", reference_rules(), lambda r: r["level"] + "|" + r["code"].fillna("")
                        )
                        conn.register("_failures", failures.assign(loaded_at=loaded_at))
                        write_table(conn, version.table(RULE_FAILURES), RULE_FAILURE_COLUMNS, "select * from _failures")
                state = state_after(changes, previous, hashes, loaded_at)
                write_state(version.manifest, state)
        lake = settings.lake_dir / "reference"
        counts = {name: row_count(conn, lake / name) for name in [*(t.name for t in REFERENCE_TABLES), RULE_FAILURES]}
    finally:
        conn.close()
    files_read = len(changes.files) if reload else changes.files_read
    yield from raw_table_results(counts, last_change(state, changes, loaded_at), read=files_read)
