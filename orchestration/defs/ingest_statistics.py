"""Statistics: every table under ``<raw root>/statistics/`` into ``raw.statistics_*``."""

import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.config import FULL_REFRESH_TAG
from orchestration.defs.resources import Warehouse
from orchestration.lib.incremental import (
    paths_under,
    plan_files,
    previous_manifest,
    replace_rows_of_files,
    save_manifest,
)
from orchestration.lib.lake import export_tables
from orchestration.lib.quality_log import clear_rule_failures
from orchestration.lib.statistics import parse_statistics_file
from orchestration.lib.textio import RawFile
from orchestration.lib.warehouse import replace_table
from orchestration.lib.warm import warm_up

# A figure's original text is nearly unique to it: compressing them (dictionary and FSST) took a
# quarter of the table's write (0.3 of 1.3 CPU-seconds for a county table's 1.7 million figures) to
# save 5 bytes a figure on disk.
OBSERVATION_COLUMNS = """
    source_file varchar not null, file_sha256 varchar not null, source_row integer not null,
    raw_root_rank integer not null, loaded_at timestamptz not null,
    region_code varchar, region_name varchar, province_name varchar,
    year integer not null, indicator varchar not null, value double not null, unit varchar not null,
    original_value varchar not null using compression uncompressed, original_unit varchar not null,
    publication varchar not null, verification varchar, verification_note varchar
"""
QUARANTINE_COLUMNS = """
    source_file varchar not null, file_sha256 varchar, source_row integer, column_name varchar,
    raw_value varchar, reason varchar not null, loaded_at timestamptz not null
"""
FILE_COLUMNS = """
    source_file varchar not null, file_sha256 varchar not null, size_bytes bigint not null,
    raw_root_rank integer not null, encoding varchar, layout varchar, observations integer not null,
    quarantined integer not null, empty_cells integer not null, ignored_columns varchar,
    error varchar, loaded_at timestamptz not null
"""
# Notes and licences may sit beside the tables; everything else is parsed or quarantined.
NOT_TABLES = {".md", ".txt"}


def statistics_files(roots: tuple[Path, ...]) -> list[tuple[int, str]]:
    """(raw root rank, path) of every candidate table, in a stable order."""
    return [
        (rank, path)
        for rank, folder in enumerate(roots)
        if folder.is_dir()
        for path in paths_under(folder)
        if os.path.splitext(path)[1].lower() not in NOT_TABLES
    ]


def read_statistics(files: dict[str, tuple[int, bytes]], loaded_at: datetime) -> dict[str, pa.Table]:
    """Parse the given tables (path -> (raw root rank, bytes)); return the rows of
    ``raw.statistics_observations``, ``_quarantine`` and ``_files`` as Arrow tables (a county table has
    millions of figures: they go from Arrow to DuckDB without becoming Python objects)."""
    observations, quarantine, files_read = [], [], []
    with ThreadPoolExecutor(1) as hasher:  # hashlib lets go of the GIL: a file is hashed while it is parsed
        for name, (rank, data) in files.items():
            path = Path(name)
            raw = RawFile(path, data)
            sha256 = hasher.submit(lambda raw=raw: raw.sha256)
            parsed = parse_statistics_file(raw)
            provenance = {"source_file": str(path), "file_sha256": sha256.result(), "loaded_at": loaded_at}
            table = parsed.observation_table
            publication = table["publication"]  # a dictionary: its null entries are the file's name
            table = table.set_column(
                table.schema.get_field_index("publication"),
                "publication",
                pa.chunked_array(
                    [
                        pa.DictionaryArray.from_arrays(chunk.indices, pc.fill_null(chunk.dictionary, path.name))
                        for chunk in publication.chunks
                    ],
                    publication.type,
                ),
            )
            observations.append(_with_constants(table, {**provenance, "raw_root_rank": rank}))
            quarantine.append(_with_constants(parsed.quarantine_table, provenance))
            files_read.append(
                {
                    **provenance,
                    "size_bytes": len(raw.data),
                    "raw_root_rank": rank,
                    "encoding": parsed.encoding,
                    "layout": parsed.layout,
                    "observations": table.num_rows,
                    "quarantined": parsed.quarantine_table.num_rows,
                    "empty_cells": parsed.empty_cells,
                    "ignored_columns": ", ".join(parsed.ignored_columns) or None,
                    "error": parsed.error,
                }
            )
    return {
        "observations": pa.concat_tables(observations) if observations else pa.table({}),
        "quarantine": pa.concat_tables(quarantine) if quarantine else pa.table({}),
        "files": pa.Table.from_pylist(files_read),
    }


def _with_constants(table: pa.Table, columns: dict) -> pa.Table:
    """``table`` with a column per value, each one dictionary entry rather than a copy in every row."""
    first = pa.array(np.zeros(table.num_rows, dtype=np.int32))
    for name, value in columns.items():
        table = table.append_column(name, pa.DictionaryArray.from_arrays(first, pa.array([value])))
    return table


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", "statistics_observations"],
            description="One row per figure read from a statistics table, in base units, with provenance.",
            kinds={"python", "duckdb"},
        ),
        dg.AssetSpec(
            ["raw", "statistics_quarantine"],
            description="One row per rejected row, cell or file of a statistics table, with the reason.",
            kinds={"python", "duckdb"},
        ),
        dg.AssetSpec(
            ["raw", "statistics_files"],
            description="One row per statistics file read: hash, encoding, layout and counts.",
            kinds={"python", "duckdb"},
        ),
    ],
    group_name="raw",
    pool="warehouse_writer",
    retry_policy=dg.RetryPolicy(max_retries=2, delay=2, backoff=dg.Backoff.EXPONENTIAL),
)
def statistics(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Read the statistics tables that are new or changed since the last refresh (all of them with the
    run tag warehouse/full=true) and drop the rows of changed and deleted files."""
    warm_up(warehouse.settings)  # GX for this asset's check and dbt for the transform, made ready
    full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
    loaded_at = datetime.now(UTC)
    ranked = {path: rank for rank, path in statistics_files(warehouse.settings.raw_dirs("statistics"))}
    with warehouse.connect() as conn:
        plan = plan_files(list(ranked), previous_manifest(conn, "statistics"), full)
    frames = read_statistics({p: (ranked[p], data) for p, data in plan.changed.items()}, loaded_at)
    stale = [*plan.changed, *plan.deleted]
    tables = {
        "observations": ("raw.statistics_observations", OBSERVATION_COLUMNS),
        "quarantine": ("raw.statistics_quarantine", QUARANTINE_COLUMNS),
        "files": ("raw.statistics_files", FILE_COLUMNS),
    }
    with warehouse.connect() as conn:
        counts = {
            name: replace_table(conn, table, ddl, frames[name])
            if full
            else replace_rows_of_files(conn, table, ddl, frames[name], stale)
            for name, (table, ddl) in tables.items()
        }
        save_manifest(conn, "statistics", plan, loaded_at)
        clear_rule_failures(conn, "statistics")
        if plan.has_changes:  # otherwise the lake already holds these tables (the transform adds any missing)
            export_tables(conn, warehouse.settings.lake_dir, [table for table, _ in tables.values()])
    if len(frames["quarantine"]):
        head = frames["quarantine"].slice(0, 10).to_pandas()
        context.log.warning(
            f"{len(frames['quarantine'])} statistics rows quarantined:\n"
            + head[["source_file", "source_row", "reason"]].to_string(index=False)
        )
    for name, frame in frames.items():
        yield dg.MaterializeResult(
            asset_key=["raw", f"statistics_{name}"],
            metadata={
                "dagster/row_count": counts[name],
                "files_read": plan.files_read,
                "files_changed": len(plan.changed),
                "files_deleted": len(plan.deleted),
                "preview": dg.MetadataValue.md(
                    pd.DataFrame(frame.slice(0, 10).to_pylist()).to_markdown(index=False) if len(frame) else "empty"
                ),
            },
        )
