"""Documents: every text under ``<raw root>/documents/``, cleaned, with metadata, places and claims."""

import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.config import FULL_REFRESH_TAG
from orchestration.defs.resources import Warehouse
from orchestration.lib.corpus import document_files
from orchestration.lib.document_batches import (
    split_into_batches,
    stage_batch,
    staged_files,
    start_helper,
    stop_helper,
)
from orchestration.lib.incremental import (
    FilePlan,
    drop_vanished,
    plan_files,
    previous_manifest,
    replace_rows_of_files,
    save_manifest,
)
from orchestration.lib.lake import export_partitioned, parts_for
from orchestration.lib.quality_log import clear_rule_failures
from orchestration.lib.textio import decode
from orchestration.lib.warehouse import replace_table
from orchestration.lib.warm import warm_up

TABLES = {
    "documents": (
        "One row per distinct document (same text under two names or encodings is one): metadata and cleaning counts.",
        """document_id varchar not null, source_file varchar not null, file_sha256 varchar not null,
        file_format varchar, encoding varchar,
        title varchar, kind varchar, carrier varchar, outlet varchar, author varchar, dateline_place varchar,
        published_on date, published_how varchar, page_time timestamp, nonempty_lines integer,
        distinct_lines integer, paragraph_count integer, repeated_paragraphs_dropped integer,
        sentences_rejoined integer, boilerplate_removed varchar, is_truncated boolean, text_chars integer,
        loaded_at timestamptz""",
    ),
    "document_files": (
        "One row per file under documents/: hash, encoding, the document it holds, parsed or quarantined.",
        """source_file varchar not null, file_sha256 varchar not null, size_bytes bigint, encoding varchar,
        document_id varchar, status varchar not null, loaded_at timestamptz""",
    ),
    "document_paragraphs": (
        "One row per cleaned paragraph of a document file, in order.",
        """document_id varchar not null, source_file varchar not null, paragraph_index integer not null,
        text varchar not null""",
    ),
    "document_dates": (
        "One row per date a document states or implies: publication, page time, occasion or event.",
        """document_id varchar not null, source_file varchar not null, day date not null, precision varchar,
        role varchar, how varchar,
        suspect varchar, context varchar""",
    ),
    "document_mentions": (
        "One row per place, cluster or region named in a paragraph, with its code.",
        """document_id varchar not null, source_file varchar not null, paragraph_index integer not null,
        start_offset integer,
        end_offset integer, surface varchar, entity_type varchar, entity_code varchar, entity_name varchar,
        cluster_id varchar""",
    ),
    "document_claims": (
        "One row per quantity stated in a document, normalised, with metric, year, place and qualifier.",
        """document_id varchar not null, source_file varchar not null, claim_index integer not null,
        paragraph_index integer not null,
        sentence_index integer, metric varchar, value double, value_high double, unit varchar,
        original_text varchar, year integer, entity_type varchar, entity_code varchar, entity_name varchar,
        qualifier varchar, sentence varchar""",
    ),
    "document_quarantine": (
        "One row per document file that could not be read (empty, binary, undecodable, no text), with the reason.",
        """source_file varchar not null, file_sha256 varchar, size_bytes bigint, reason varchar not null,
        loaded_at timestamptz""",
    ),
}
# each table's columns, as the parse steps stage them
TABLE_COLUMNS = {name: ddl for name, (_, ddl) in TABLES.items()}


def reference_divisions(warehouse: Warehouse) -> list[dict]:
    """NBS city-level divisions from the raw roots, so the gazetteer knows every city, not just members."""
    rows: list[dict] = []
    for folder in warehouse.settings.raw_dirs("reference"):
        path = folder / "admin_divisions.csv"
        if path.is_file():
            text, _ = decode(path.read_bytes())
            rows.extend(csv.DictReader(io.StringIO(text)))
    return rows


RETRY = dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL)


@dg.op(
    out={"plan": dg.Out(FilePlan), "batches": dg.DynamicOut(dict)},
    pool="warehouse_writer",
    retry_policy=RETRY,
)
def plan_document_batches(context: dg.OpExecutionContext, warehouse: Warehouse):
    """The document files that are new or changed since the last refresh (all of them with the run tag
    warehouse/full=true), split into batches by path; one mapped step parses each batch. The plan holds
    paths, not the files' bytes: each parse step reads (and hashes) its own files."""
    warm_up(warehouse.settings)  # GX for this asset's check and dbt for the transform, made ready
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    paths = document_files(warehouse.settings.raw_dirs("documents"))
    with warehouse.connect() as conn:
        plan = plan_files(paths, previous_manifest(conn, "documents"), full, keep_content=False)
    yield dg.Output(plan, "plan")
    staging = warehouse.settings.staging_dir
    for leftover in staging.glob("*") if staging.is_dir() else []:  # of a run that stopped before writing
        shutil.rmtree(leftover, ignore_errors=True)
    divisions = reference_divisions(warehouse) if plan.changed else []
    start_helper(len(plan.changed), divisions)  # parses beside the parse steps, on the other core
    loaded_at = datetime.now(UTC)
    for index, paths in split_into_batches(plan.changed, warehouse.settings.document_batches).items():
        key = f"batch_{index:03d}"
        folder = staging / context.run.run_id / key
        batch = {"paths": paths, "divisions": divisions, "loaded_at": loaded_at, "folder": str(folder)}
        yield dg.DynamicOutput(batch, output_name="batches", mapping_key=key)


@dg.op(retry_policy=RETRY)
def parse_document_batch(context: dg.OpExecutionContext, batch: dict) -> str:
    """Rows of the raw.document* tables for one batch of files, staged as Parquet in the batch's folder
    (returned); needs no warehouse, so batches run side by side under a multiprocess, Celery or
    Kubernetes executor (the staging folder must then be on storage every step sees)."""
    parsed, by_helper = stage_batch(
        batch["paths"], batch["divisions"], batch["loaded_at"], Path(batch["folder"]), TABLE_COLUMNS
    )
    context.log.info(f"parsed {parsed} document files, {by_helper} of them in the parse helper")
    return batch["folder"]


@dg.op(
    out={name: dg.Out(dg.Nothing, description=text) for name, (text, _) in TABLES.items()},
    pool="warehouse_writer",
    retry_policy=RETRY,
)
def write_documents(context: dg.OpExecutionContext, warehouse: Warehouse, plan: FilePlan, staged: list[str]):
    """Drop the rows of changed and deleted files, load the staged batches and hand the changed parts of
    the tables to the lake."""
    stop_helper()  # parsing is done: its memory goes back before the tables are loaded
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    stale = [*plan.changed, *plan.deleted]
    loaded_at = datetime.now(UTC)
    with warehouse.connect() as conn:
        clear_rule_failures(conn, "documents")
        for name, ddl in TABLE_COLUMNS.items():
            rows = staged_files(staged, name)
            if full:
                count = replace_table(conn, f"raw.{name}", ddl, rows)
            else:
                count = replace_rows_of_files(conn, f"raw.{name}", ddl, rows, stale)
            yield dg.Output(
                None,
                output_name=name,
                metadata={
                    "dagster/row_count": count,
                    "files_read": plan.files_read,
                    "files_changed": len(plan.changed),
                    "files_deleted": len(plan.deleted),
                    "batches": len(staged),
                },
            )
        # the parse steps read and hashed the changed files: the manifest records what they read
        hashes = "select source_file, file_sha256 from raw.document_files where source_file in "
        plan.hashes.update(conn.execute(hashes + "(select unnest(?::varchar[]))", [sorted(plan.changed)]).fetchall())
        vanished = drop_vanished(plan)  # their rows (if any) went with the stale files' rows
        quarantined = conn.execute(
            "select source_file, reason from raw.document_quarantine "
            "where source_file in (select unnest(?::varchar[])) order by source_file",
            [sorted(plan.changed)],
        ).df()
        if plan.has_changes:  # otherwise the lake already holds these tables (the transform adds any missing)
            parts = parts_for(len(plan.files))
            export_partitioned(conn, warehouse.settings.lake_dir, TABLES, plan.files, parts, None if full else stale)
        save_manifest(conn, "documents", plan, loaded_at)  # last: an interrupted step re-reads its files
    for folder in {Path(f).parent for f in staged}:
        shutil.rmtree(folder, ignore_errors=True)
    context.log.info(
        f"documents: {len(plan.changed)} new or changed, {len(plan.deleted)} deleted, "
        f"{len(plan.unchanged)} unchanged files; {plan.files_read} read, in {len(staged)} batches"
    )
    if vanished:
        context.log.warning(f"{len(vanished)} document files were gone when read, counted as deleted: {vanished[:10]}")
    if len(quarantined):
        context.log.warning("documents quarantined:\n" + quarantined.to_string(index=False))


@dg.graph_multi_asset(
    outs={
        name: dg.AssetOut(key=["raw", name], description=text, kinds={"python", "duckdb"})
        for name, (text, _) in TABLES.items()
    },
    group_name="raw",
)
def documents():
    """Read, clean and extract the document files that are new or changed since the last refresh, one
    step per batch of files (WAREHOUSE_DOCUMENT_BATCHES), and drop the rows of changed and deleted files."""
    plan, batches = plan_document_batches()
    return write_documents(plan, batches.map(parse_document_batch).collect())
