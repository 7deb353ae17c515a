"""Documents: every text under ``<raw root>/documents/``, cleaned, with metadata, places and claims."""

import hashlib
import shutil
import time
from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.config import FULL_REFRESH_TAG, SEEDS_DIR
from orchestration.defs.policies import RETRY, raw_table, raw_table_results
from orchestration.defs.resources import Warehouse
from orchestration.documents.corpus import TABLES, document_files, parse_to_parquet, parsed_files
from orchestration.documents.places import gazetteer_sha256
from orchestration.lake.tables import (
    READER_FILE,
    SourceVersion,
    manifest_path,
    parquet_glob,
    parts_for,
    read_with_another_reader,
    replace_text,
    row_count,
    write_parts,
)
from orchestration.quality.expectations import RULE_FAILURE_COLUMNS, rule_failures
from orchestration.quality.rules import document_rules, prepare_documents
from orchestration.raw_files.changes import detect_changes, last_change, read_state, state_after, write_state

RULE_FAILURES = "document_rule_failures"
DESCRIPTIONS = {
    **{name: table.description for name, table in TABLES.items()},
    RULE_FAILURES: "One row per document file and data-quality row rule it breaks; a document is all of its "
    "file, so one breaking a blocking rule holds the refresh back.",
}
COLUMNS = {**{name: table.columns for name, table in TABLES.items()}, RULE_FAILURES: RULE_FAILURE_COLUMNS}


@dg.multi_asset(
    # the gazetteer knows every city of the administrative divisions
    specs=[
        raw_table(name, text, deps=[dg.AssetKey(["raw", "admin_divisions"])]) for name, text in DESCRIPTIONS.items()
    ],
    group_name="raw",
    retry_policy=RETRY,
)
def documents(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Read, clean and extract the document files that are new or changed since the last refresh (all of
    them with the run tag warehouse/full=true), in WAREHOUSE_PARSE_PROCESSES processes, drop the rows of
    changed and deleted files, and record the documents that break a data-quality rule."""
    settings = warehouse.settings
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    loaded_at = datetime.now(UTC)
    previous = read_state(manifest_path(settings.lake_dir, "documents"))
    conn = duckdb.connect()
    known_divisions = divisions(conn, settings.lake_dir)
    # the places and claims of a document depend on the gazetteer too: when its seeds or the divisions
    # changed, every document is read again, as when the tables gain columns (the kept rows would lack them)
    columns = "\n".join(table.columns for table in TABLES.values())
    reader = hashlib.sha256(f"{gazetteer_sha256(SEEDS_DIR, known_divisions)}\n{columns}".encode()).hexdigest()
    if previous and not full and read_with_another_reader(settings.lake_dir, "documents", reader):
        context.log.info(
            "the gazetteer's seeds, the administrative divisions or the tables' columns changed: every document is read"
        )
        full = True
    changes = detect_changes(document_files(settings.raw_dirs("documents")), previous, full, hash_new=False)
    shutil.rmtree(settings.parse_dir, ignore_errors=True)  # what a killed refresh parsed
    parsed = settings.parse_dir / context.run.run_id
    lake = settings.lake_dir / "documents"
    hashes, state = {}, previous
    try:
        if full or changes.any or changes.rehashed or not manifest_path(settings.lake_dir, "documents").is_file():
            with SourceVersion(settings.lake_dir, "documents") as version:
                started = time.perf_counter()
                hashes = parse_to_parquet(
                    sorted(changes.changed),
                    parsed,
                    SEEDS_DIR,
                    known_divisions,
                    loaded_at,
                    settings.parse_processes,
                )
                parsed_at = time.perf_counter()
                state = state_after(changes, previous, hashes, loaded_at)
                write_lake(conn, version, parsed, None if full else changes.stale, parts_for(len(state)), loaded_at)
                write_state(version.manifest, state)
                replace_text(version.manifest.with_name(READER_FILE), reader)
                context.log.info(
                    f"parsed {len(hashes)} files in {parsed_at - started:.1f} s (up to {settings.parse_processes} "
                    f"processes); wrote the lake in {time.perf_counter() - parsed_at:.1f} s"
                )
                if settings.fault_pause == "lake":
                    time.sleep(60)  # fault injection: the crash tests kill the run before the new version is in
        counts = {name: row_count(conn, lake / name) for name in COLUMNS}
    finally:
        conn.close()
        shutil.rmtree(parsed, ignore_errors=True)
    gone = sorted(set(changes.changed) - set(hashes))
    context.log.info(
        f"documents: {len(changes.changed) - len(gone)} new or changed, {len(changes.deleted) + len(gone)} deleted, "
        f"{len(changes.unchanged)} unchanged files; {changes.files_read} read"
    )
    if gone:
        context.log.warning(f"{len(gone)} document files were gone when read, counted as deleted: {gone[:10]}")
    yield from raw_table_results(
        counts,
        last_change(state, changes, loaded_at),
        read=changes.files_read,
        changed=len(changes.changed) - len(gone),
        deleted=len(changes.deleted) + len(gone),
    )


def write_lake(conn, version: SourceVersion, parsed, stale, parts: int, loaded_at) -> None:
    """The document tables of the new version: the parsed files' rows in place of the stale files', and
    the rows of the parsed documents that break a data-quality rule."""
    new = {name: parsed_files(parsed, name) for name in TABLES}
    failures = None
    if new["documents"]:
        docs = conn.sql(f"select * from read_parquet({new['documents']!r})").df()
        rules = document_rules()
        failures = rule_failures(
            prepare_documents(docs, loaded_at.date()), "documents", rules, lambda r: r["document_id"]
        )
        conn.register("_failures", failures.assign(loaded_at=loaded_at))
    for name, columns in COLUMNS.items():
        if name == RULE_FAILURES:
            rows = "select * from _failures" if failures is not None and len(failures) else None
        else:
            rows = f"select * from read_parquet({new[name]!r})" if new[name] else None
        write_parts(conn, version.table(name), columns, rows, stale, parts)


def divisions(conn: duckdb.DuckDBPyConnection, lake_dir) -> list[dict]:
    """The administrative divisions in the lake, so the gazetteer knows every city, not just members."""
    folder = lake_dir / "reference" / "admin_divisions"
    if not any(folder.glob("*.parquet")):
        return []
    rows = conn.sql(f"select level, code, name, city_name from read_parquet('{parquet_glob(folder)}')")
    return [dict(zip(rows.columns, row, strict=True)) for row in rows.fetchall()]
