"""Publish the marts of the build database as a closed, checkpointed serving file, atomically."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from bisect import bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import duckdb

from orchestration.lib.parquet_splice import parquet_footer, row_group_sizes, splice_files

SERVING_SCHEMA = "marts"


@dataclass(frozen=True)
class Publication:
    published_at: datetime
    row_counts: dict[str, int]
    parquet_files: list[Path]
    parquet_spliced: list[str]  # the marts whose Parquet file re-encoded only the changed row groups


def publish_atomically(build: Callable[[Path], None], target: Path) -> None:
    """Build ``target`` under a temporary name beside it, then rename it over the old file.

    The rename is atomic, so readers see either the old file or the new one, never a half-written
    one; a failure leaves the old file untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        build(tmp)
        wal = tmp.with_name(tmp.name + ".wal")
        if wal.exists():
            raise RuntimeError(f"{wal} remains after close: the copy was not checkpointed")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed publish left behind (``.<name>.<hex>.tmp[.wal]``)."""
    stale = [p for p in folder.glob(".*.tmp*") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


# Tables the incremental document models keep in the build database (dbt_project/macros/
# document_increments.sql): per mart, its documents and the version of their files it holds.
INCREMENTS_SCHEMA = "increments"
OTHER_INPUTS = "(other inputs)"
# a publication that redoes more than this share (and number) of a mart's documents copies every mart
# afresh: replacing most rows of a copy would leave the file with as much free space as data
MAX_CHANGED_SHARE = 0.1
MIN_CHANGED_COPIED = 1000


def publish_marts(
    build_db: Path,
    serving_path: Path,
    parquet_dir: Path,
    refresh_id: str,
    mart_inputs: dict[str, set[str]] | None = None,
    pause_before_replace: float = 0,
    compare_rows: set[str] | frozenset[str] = frozenset(),
) -> Publication:
    """Publish every table of the build database's ``marts`` schema as a new serving file and Parquet.

    The new serving file is a copy of the build's marts; or, when the served file holds the same marts
    and the incremental document marts changed in a few documents only, a copy of the served file with
    those documents' rows replaced (``meta.published_versions`` records which versions it holds). A
    mart's Parquet file is rewritten only when the mart may have changed: the document marts' files
    carry the versions they hold in their key-value metadata. When the served file's rows are replaced
    and a document mart's Parquet file holds the served versions, the new file re-encodes only the row
    groups that hold a changed document and copies the others' bytes (``_splice_parquet``). The rows of a
    document in the marts named in ``compare_rows`` depend on other documents too (dim_document's
    near-duplicate link): their changed documents also include those whose rows differ from the served ones.

    ``meta.publication`` gets one row per mart: its row count, when it was published, the kinds of raw
    input it is built from (``mart_inputs``) and when any of those inputs last changed."""
    published_at = datetime.now(UTC)
    staging_dir = parquet_dir / f".staging-{uuid.uuid4().hex}"
    row_counts: dict[str, int] = {}
    exported: list[str] = []
    spliced: list[str] = []
    tokens: dict[str, str] = {}
    served_tokens: dict[str, str] = {}

    def build(tmp: Path) -> None:
        delta = _delta_plan(build_db, serving_path, compare_rows)
        if delta is not None:
            shutil.copyfile(serving_path, tmp)  # the served file is closed and checkpointed
        conn = duckdb.connect(str(tmp))
        try:
            conn.execute(f"attach '{build_db}' as build (read_only)")
            tables = [
                row[0]
                for row in conn.execute(
                    "select table_name from duckdb_tables() where database_name = 'build' "
                    "and schema_name = ? order by table_name",
                    [SERVING_SCHEMA],
                ).fetchall()
            ]
            if not tables:
                raise RuntimeError(f"{build_db} has no tables in schema {SERVING_SCHEMA}: nothing to publish")
            tokens.update(_version_tokens(conn, tables))
            if delta is None:
                conn.execute(f"create schema {SERVING_SCHEMA}")
                conn.execute("create schema meta")
                conn.execute(
                    "create table meta.published_versions (mart varchar, document_id varchar, version ubigint)"
                )
            else:
                served_tokens.update(_served_tokens(conn))
                conn.execute("drop table if exists meta.publication")
                conn.execute(
                    "delete from meta.published_versions where mart not in (select unnest(?::varchar[]))",
                    [list(tokens)],
                )
                for stale in _tables(conn, _database(conn), SERVING_SCHEMA):
                    if stale not in tables:
                        conn.execute(f"drop table {SERVING_SCHEMA}.{stale}")
            for table in tables:
                changed = (delta or {}).get(table)
                if changed is None:  # a whole copy
                    conn.execute(
                        f"create or replace table {SERVING_SCHEMA}.{table} as "
                        f"select * from build.{SERVING_SCHEMA}.{table}"
                    )
                elif changed:
                    conn.execute(
                        f"delete from {SERVING_SCHEMA}.{table} where document_id in (select unnest(?::varchar[]))",
                        [changed],
                    )
                    conn.execute(
                        f"insert into {SERVING_SCHEMA}.{table} select * from build.{SERVING_SCHEMA}.{table} "
                        "where document_id in (select unnest(?::varchar[]))",
                        [changed],
                    )
                row_counts[table] = conn.execute(f"select count(*) from {SERVING_SCHEMA}.{table}").fetchone()[0]
            changed_at = (
                dict(
                    conn.execute(
                        "select source_kind, max(changed_at) from build.raw.file_manifest group by source_kind"
                    ).fetchall()
                )
                if _has_manifest(conn)
                else {}
            )
            for table in tokens:
                versions = f"select ?, document_id, version from build.{INCREMENTS_SCHEMA}.{table}"
                if delta is None:
                    conn.execute(f"insert into meta.published_versions {versions}", [table])
                elif delta[table]:
                    conn.execute(
                        "delete from meta.published_versions where mart = ? "
                        "and document_id in (select unnest(?::varchar[]))",
                        [table, delta[table]],
                    )
                    conn.execute(
                        f"insert into meta.published_versions {versions} "
                        "where document_id in (select unnest(?::varchar[]))",
                        [table, delta[table]],
                    )
            conn.execute("detach build")
            inputs = {table: sorted((mart_inputs or {}).get(table, set())) for table in row_counts}
            last_changed = {
                table: max((changed_at[kind] for kind in kinds if kind in changed_at), default=None)
                for table, kinds in inputs.items()
            }
            conn.execute(
                "create table meta.publication as select ?::varchar as refresh_id, ?::timestamptz as published_at, "
                "unnest(?::varchar[]) as mart, unnest(?::bigint[]) as row_count, unnest(?::varchar[]) as inputs, "
                "unnest(?::timestamptz[]) as inputs_last_changed_at",
                [
                    refresh_id,
                    published_at,
                    list(row_counts),
                    list(row_counts.values()),
                    [", ".join(inputs[t]) for t in row_counts],
                    [last_changed[t] for t in row_counts],
                ],
            )
            staging_dir.mkdir(parents=True, exist_ok=True)
            for table in tables:
                token = tokens.get(table)
                current = parquet_dir / f"{table}.parquet"
                staged = staging_dir / f"{table}.parquet"
                held = _parquet_token(conn, current) if token is not None else None
                if token is not None and held == token:
                    continue  # the file already holds these versions
                if (
                    held is not None
                    and held == served_tokens.get(table)  # the file holds the served rows: splice the changes in
                    and _splice_parquet(conn, table, current, delta[table], staged, token)
                ):
                    spliced.append(table)
                else:
                    conn.execute(f"copy {SERVING_SCHEMA}.{table} to '{staged}' ({_parquet_options(token)})")
                exported.append(table)
            conn.execute("checkpoint")
        finally:
            conn.close()
        if pause_before_replace:
            time.sleep(pause_before_replace)  # fault injection: the crash tests kill the run here

    for leftover in parquet_dir.glob(".staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # left by a publish that was killed
    try:
        publish_atomically(build, serving_path)
        published = []
        for table in row_counts:
            target = parquet_dir / f"{table}.parquet"
            if table in exported:
                os.replace(staging_dir / f"{table}.parquet", target)
            published.append(target)
        for old in parquet_dir.glob("*.parquet"):
            if old not in published:
                old.unlink()
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    return Publication(
        published_at=published_at, row_counts=row_counts, parquet_files=published, parquet_spliced=spliced
    )


PARQUET_TOKEN_KEY = "warehouse_versions"
PARQUET_ROW_GROUP_SIZE = 122_880  # DuckDB's default


def _tables(conn: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    rows = conn.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by table_name",
        [database, schema],
    ).fetchall()
    return [name for (name,) in rows]


def _database(conn: duckdb.DuckDBPyConnection) -> str:
    return conn.execute("select current_database()").fetchone()[0]


VERSIONS_TOKEN = "count(*) || ':' || coalesce(sum(hash(document_id, version)), 0)"


def _version_tokens(conn: duckdb.DuckDBPyConnection, marts: list[str]) -> dict[str, str]:
    """For each mart the build keeps document versions of, a token of those versions."""
    kept = set(_tables(conn, "build", INCREMENTS_SCHEMA)) & set(marts)
    return {
        mart: conn.execute(f"select {VERSIONS_TOKEN} from build.{INCREMENTS_SCHEMA}.{mart}").fetchone()[0]
        for mart in sorted(kept)
    }


def _served_tokens(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The same tokens of the versions the served file holds (``meta.published_versions``)."""
    return dict(conn.execute(f"select mart, {VERSIONS_TOKEN} from meta.published_versions group by mart").fetchall())


def _parquet_options(token: str | None) -> str:
    metadata = f", kv_metadata {{{PARQUET_TOKEN_KEY}: '{token}'}}" if token is not None else ""
    return f"format parquet, row_group_size {PARQUET_ROW_GROUP_SIZE}{metadata}"


def _parquet_token(conn: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        rows = conn.execute(
            "select decode(value) from parquet_kv_metadata(?) where decode(key) = ?", [str(path), PARQUET_TOKEN_KEY]
        ).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def _delta_plan(build_db: Path, serving_path: Path, compare_rows: Collection[str]) -> dict[str, list[str]] | None:
    """The documents whose rows to replace in each incremental document mart of the served file, or
    None when the new serving file is better copied from the build afresh: no served file, no versions
    recorded in it, a mart whose columns differ, a change in a mart's other inputs, or many documents
    changed. Marts without versions are copied whole (they are small)."""
    if not serving_path.is_file():
        return None
    conn = duckdb.connect(str(serving_path), read_only=True)
    try:
        conn.execute(f"attach '{build_db}' as build (read_only)")
        served_db = _database(conn)
        if "published_versions" not in _tables(conn, served_db, "meta"):
            return None
        marts = _tables(conn, "build", SERVING_SCHEMA)
        kept = set(_tables(conn, "build", INCREMENTS_SCHEMA)) & set(marts)
        served = set(_tables(conn, served_db, SERVING_SCHEMA))
        plan: dict[str, list[str]] = {}
        for mart in sorted(kept):
            if mart not in served or _columns(conn, "build", mart) != _columns(conn, served_db, mart):
                return None
            changed = [
                document_id
                for (document_id,) in conn.execute(
                    f"""
                    with now_built as (select document_id, version from build.{INCREMENTS_SCHEMA}.{mart}),
                    published as (select document_id, version from meta.published_versions where mart = ?)
                    select distinct document_id from (
                        (select * from now_built except select * from published)
                        union all
                        (select * from published except select * from now_built)
                    )""",
                    [mart],
                ).fetchall()
            ]
            if mart in compare_rows:
                changed = sorted(set(changed) | _rows_differing(conn, mart))
            documents = conn.execute(f"select count(*) from build.{INCREMENTS_SCHEMA}.{mart}").fetchone()[0]
            if OTHER_INPUTS in changed or len(changed) > max(MIN_CHANGED_COPIED, MAX_CHANGED_SHARE * documents):
                return None
            plan[mart] = changed
        return plan
    finally:
        conn.close()


def _rows_differing(conn: duckdb.DuckDBPyConnection, mart: str) -> set[str]:
    """Documents with a row in the built mart or the served one that the other lacks."""
    rows = conn.execute(
        f"""
        with built as (select document_id, hash(m) as row_hash from build.{SERVING_SCHEMA}.{mart} as m),
        served as (select document_id, hash(m) as row_hash from {SERVING_SCHEMA}.{mart} as m)
        select distinct document_id from (
            (select * from built except all select * from served)
            union all
            (select * from served except all select * from built)
        )"""
    ).fetchall()
    return {document_id for (document_id,) in rows}


def _columns(conn: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index",
        [database, SERVING_SCHEMA, table],
    ).fetchall()


def _has_manifest(conn: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        conn.execute(
            "select 1 from duckdb_tables() where database_name = 'build' and schema_name = 'raw' "
            "and table_name = 'file_manifest'"
        ).fetchall()
    )


def _splice_parquet(
    conn: duckdb.DuckDBPyConnection, table: str, old: Path, changed: list[str], target: Path, token: str
) -> bool:
    """Write ``target`` as ``old`` (a Parquet file of the served mart before this publish) with the rows of
    the ``changed`` documents replaced by the served ones. False when that would redo half the rows or
    more, or when the new rows' file has another schema (DuckDB writes a column without nulls as REQUIRED:
    a first null changes it) or a layout this does not copy: the caller then writes the file afresh."""
    footer = parquet_footer(old)
    if footer is None:
        return False
    sizes = row_group_sizes(footer)
    starts = list(accumulate(sizes, initial=0))
    try:
        rows_changed = conn.execute(
            "select file_row_number from read_parquet(?, file_row_number = true) "
            "where document_id in (select unnest(?::varchar[]))",
            [str(old), changed],
        ).fetchall()
        hit = {bisect_right(starts, row) - 1 for (row,) in rows_changed}
        if sizes and sizes[-1] < PARQUET_ROW_GROUP_SIZE:
            hit.add(len(sizes) - 1)  # rows added later fill it up
        if 2 * sum(starts[i + 1] - starts[i] for i in hit) >= starts[-1]:
            return False
        redone = " or ".join(f"file_row_number between {starts[i]} and {starts[i + 1] - 1}" for i in sorted(hit))
        part = target.with_name(f".{target.name}.part")
        conn.execute(
            f"""copy (
                select * from {SERVING_SCHEMA}.{table} where document_id in (select unnest($changed::varchar[]))
                union all
                select * exclude (file_row_number) from read_parquet($old, file_row_number = true)
                where ({redone or "false"})
                and (document_id is null or document_id not in (select unnest($changed::varchar[])))
            ) to '{part}' ({_parquet_options(token)})""",
            {"changed": changed, "old": str(old)},
        )
    except duckdb.Error:  # the old file does not read (damaged?): writing it afresh repairs it
        return False
    kept = [i for i in range(len(sizes)) if i not in hit]
    if not splice_files(old, footer, kept, part, target):
        return False
    # read back: the document column of every row group (moved bytes and new) holds the served documents
    check = "select count(*), sum(hash(document_id)) from {}"
    try:
        written = conn.execute(check.format("read_parquet(?)"), [str(target)]).fetchall()
    except duckdb.Error:
        return False
    return written == conn.execute(check.format(f"{SERVING_SCHEMA}.{table}")).fetchall()
