"""The statistics tables of the lake, and reading statistics files into their rows."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.raw_files.decoding import RawFile, RefusedFile
from orchestration.raw_files.listing import files_under
from orchestration.statistics.reader import parse_statistics_file, refused_file
from orchestration.statistics.units import Catalogue

# The lake's statistics tables ("name type, ..."): one row per figure, per rejected row or cell, per region
# boundary, per file.
OBSERVATION_COLUMNS = """
    source_file varchar, file_sha256 varchar, source_row integer, raw_root_rank integer, loaded_at timestamptz,
    region_code varchar, region_name varchar, province_name varchar, year integer, indicator varchar,
    value double, unit varchar, original_value varchar, original_unit varchar, publication varchar,
    verification varchar, verification_note varchar, vintage varchar, published_on varchar
"""
QUARANTINE_COLUMNS = """
    source_file varchar, file_sha256 varchar, source_row integer, column_name varchar, raw_value varchar,
    reason varchar, loaded_at timestamptz
"""
BOUNDARY_COLUMNS = """
    source_file varchar, file_sha256 varchar, source_row integer, raw_root_rank integer, loaded_at timestamptz,
    region_code varchar, region_name varchar, boundary_wkt varchar
"""
FILE_COLUMNS = """
    source_file varchar, file_sha256 varchar, size_bytes bigint, raw_root_rank integer, encoding varchar,
    layout varchar, observations integer, quarantined integer, empty_cells integer, ignored_columns varchar,
    notes varchar, error varchar, loaded_at timestamptz
"""
# Notes and licences may sit beside the tables; everything else is parsed or quarantined.
NOT_TABLES = {".md", ".txt"}
MAX_TABLE_BYTES = 512 << 20  # a larger statistics file is refused unread


def statistics_files(folders: Sequence[Path]) -> list[str]:
    """Every candidate table under the statistics folders, folder by folder, each in path order."""
    return files_under(folders, keep=lambda name: os.path.splitext(name)[1].lower() not in NOT_TABLES)


def read_statistics(
    files: dict[str, int], loaded_at: datetime, catalogue: Catalogue
) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Read and parse the given tables (path -> raw root rank). Returns the rows of the observations,
    quarantine, boundaries and files tables as Arrow tables (a county table has millions of figures: they go from
    Arrow to DuckDB without becoming Python objects; a table without rows has no columns), and the
    sha256 of every file read. A file gone before it is read has neither."""
    observations, quarantine, boundaries, files_read, hashes = [], [], [], [], {}
    with ThreadPoolExecutor(1) as hasher:  # hashlib lets go of the GIL: a file is hashed while it is parsed
        for name, rank in files.items():
            path = Path(name)
            try:
                raw = RawFile.read(path, MAX_TABLE_BYTES)
                sha256 = hasher.submit(lambda raw=raw: raw.sha256)
                parsed = parse_statistics_file(raw, catalogue)
                hashes[name], size = sha256.result(), len(raw.data)
            except FileNotFoundError:
                continue
            except RefusedFile as refused:
                parsed, hashes[name], size = refused_file(str(refused)), refused.sha256, refused.size
            provenance = {"source_file": str(path), "file_sha256": hashes[name], "loaded_at": loaded_at}
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
            boundaries.append(_with_constants(parsed.boundary_table, {**provenance, "raw_root_rank": rank}))
            files_read.append(
                {
                    **provenance,
                    "size_bytes": size,
                    "raw_root_rank": rank,
                    "encoding": parsed.encoding,
                    "layout": parsed.layout,
                    "observations": table.num_rows,
                    "quarantined": parsed.quarantine_table.num_rows,
                    "empty_cells": parsed.empty_cells,
                    "ignored_columns": ", ".join(parsed.ignored_columns) or None,
                    "notes": "\n".join(parsed.notes) or None,
                    "error": parsed.error,
                }
            )
    tables = {
        "observations": pa.concat_tables(observations) if observations else pa.table({}),
        "quarantine": pa.concat_tables(quarantine) if quarantine else pa.table({}),
        "boundaries": pa.concat_tables(boundaries) if boundaries else pa.table({}),
        "files": pa.Table.from_pylist(files_read),
    }
    return tables, hashes


def _with_constants(table: pa.Table, columns: dict) -> pa.Table:
    """``table`` with a column per value, each one dictionary entry rather than a copy in every row."""
    first = pa.array(np.zeros(table.num_rows, dtype=np.int32))
    for name, value in columns.items():
        table = table.append_column(name, pa.DictionaryArray.from_arrays(first, pa.array([value])))
    return table
