"""A publish that replaces a few documents' rows splices the document marts' Parquet files: the row groups
without a changed document are copied byte for byte, and every file still equals its served table."""

import random
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.lib import parquet_splice, publish
from orchestration.lib.publish import publish_marts

ROW_GROUP = 2048  # small row groups (DuckDB writes multiples of 2048 rows): ten documents fill one


def write_build(path, versions: dict[str, int]) -> None:
    """A build database with one document mart (some hundred rows per document and version, varied types) and one
    other mart."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute("create schema if not exists marts")
        conn.execute("create schema if not exists increments")
        conn.execute(
            "create or replace table increments.fct_claims as "
            "select unnest(?::varchar[]) as document_id, unnest(?::ubigint[]) as version",
            [list(versions), list(versions.values())],
        )
        conn.execute(
            """
            create or replace table marts.fct_claims as
            select document_id, case when document_id <> 'nullish' then n end as claim_index,
                   version * 1000 + n * 0.5 as value,
                   case when n % 3 = 0 then null else document_id || '-' || version end as note,
                   date '2020-01-01' + (n * version::integer)::integer as day,
                   case when n % 7 > 0 then [document_id, n::varchar] end as tags,
                   case when n % 11 > 0 then {'version': version, 'n': n} end as detail
            from increments.fct_claims, range((hash(document_id, version) % 200 + 100)::bigint) as t(n)
            order by document_id, n  -- as the document marts are: a document's rows together
            """
        )
        conn.execute(
            "create or replace table marts.dim_small as select count(*) as documents from increments.fct_claims"
        )
    finally:
        conn.close()


def assert_parquet_equals_served(warehouse, versions: dict[str, int]) -> None:
    conn = duckdb.connect(str(warehouse / "serving.duckdb"), read_only=True)
    try:
        for name in ("fct_claims", "dim_small"):
            parquet = f"'{warehouse / 'parquet' / (name + '.parquet')}'"
            for first, second in ((f"marts.{name}", parquet), (parquet, f"marts.{name}")):
                assert conn.execute(f"select count(*) from (from {first} except all from {second})").fetchone() == (0,)
            served = conn.execute(f"select count(*) from marts.{name}").fetchone()[0]
            if name == "fct_claims":  # a filter on a document reads the row groups' bloom filters
                counts = conn.execute(f"select document_id, count(*) from marts.{name} group by 1").fetchall()
                for document, count in counts[::7]:
                    found = conn.execute(f"select count(*) from {parquet} where document_id = ?", [document])
                    assert found.fetchone() == (count,), document
                # where each row group starts (what Spark and Hive split a file by)
                meta, _ = parquet_splice.parquet_footer(warehouse / "parquet" / f"{name}.parquet")
                field = parquet_splice._field
                for group in field(meta, 4)[1]:
                    first = field(field(group, 1)[1][0], 3)
                    assert field(group, 5) == (field(first, 11) or field(first, 9))
            assert pq.read_table(warehouse / "parquet" / f"{name}.parquet").num_rows == served  # another reader
        published = conn.execute("select document_id, version from meta.published_versions where mart = 'fct_claims'")
        assert dict(published.fetchall()) == versions
    finally:
        conn.close()


def publish_step(tmp_path, versions: dict[str, int]) -> None:
    write_build(tmp_path / "build.duckdb", versions)
    publish_marts(tmp_path / "build.duckdb", tmp_path / "wh" / "serving.duckdb", tmp_path / "wh" / "parquet", "r")


def group_identity(metadata, index: int) -> tuple:
    group = metadata.row_group(index)
    stats = group.column(0).statistics
    return group.num_rows, group.total_byte_size, stats.min, stats.max


@pytest.fixture
def spliced(monkeypatch) -> list[bool]:
    """Whether each attempt to splice a Parquet file did."""
    monkeypatch.setattr(publish, "PARQUET_ROW_GROUP_SIZE", ROW_GROUP)
    outcomes: list[bool] = []
    splice = publish._splice_parquet

    def spy(*args):
        outcomes.append(splice(*args))
        return outcomes[-1]

    monkeypatch.setattr(publish, "_splice_parquet", spy)
    return outcomes


def test_changed_new_and_deleted_documents_are_spliced_into_the_parquet_file(tmp_path, spliced):
    rng = random.Random(7)
    versions = {f"doc{i:03}": 1 for i in range(200)}
    publish_step(tmp_path, versions)
    assert spliced == []  # the first publication writes every file
    claims = tmp_path / "wh" / "parquet" / "fct_claims.parquet"
    for step in range(8):
        before = pq.ParquetFile(claims).metadata
        for document in rng.sample(sorted(versions), 2):
            versions[document] += 1  # changed
        del versions[rng.choice(sorted(versions))]  # deleted
        versions[f"new{step}"] = 1  # new
        publish_step(tmp_path, versions)
        assert spliced.pop() is True
        assert_parquet_equals_served(tmp_path / "wh", versions)
        after = pq.ParquetFile(claims).metadata
        # most row groups are the old ones, and the file does not fill up with small ones
        old_groups = {group_identity(before, i) for i in range(before.num_row_groups)}
        kept = [group_identity(after, i) in old_groups for i in range(after.num_row_groups)]
        assert sum(kept) >= after.num_row_groups - 6
        assert after.num_row_groups <= after.num_rows // ROW_GROUP + 2

    # a document with a null where the file's schema has none (a column REQUIRED in the file) re-encodes it
    versions["nullish"] = 1
    publish_step(tmp_path, versions)
    assert spliced.pop() is False
    assert_parquet_equals_served(tmp_path / "wh", versions)
    versions["new"] = 1
    publish_step(tmp_path, versions)
    assert spliced.pop() is True
    assert_parquet_equals_served(tmp_path / "wh", versions)

    # a change to most documents re-encodes the whole file
    versions = {document: version + 1 for document, version in versions.items() if rng.random() < 0.8}
    publish_step(tmp_path, versions)
    assert spliced.pop() is False
    assert_parquet_equals_served(tmp_path / "wh", versions)


def test_a_parquet_file_that_does_not_hold_the_served_rows_is_written_afresh(tmp_path, spliced):
    versions = {f"doc{i:03}": 1 for i in range(200)}
    publish_step(tmp_path, versions)
    claims = tmp_path / "wh" / "parquet" / "fct_claims.parquet"
    shutil.copyfile(claims, tmp_path / "first.parquet")
    versions["doc001"] = 2
    publish_step(tmp_path, versions)
    # as if the last publish had been killed after replacing the serving file but not the Parquet file
    shutil.copyfile(tmp_path / "first.parquet", claims)
    versions["doc002"] = 2
    publish_step(tmp_path, versions)
    assert spliced == [True]  # the second publication only
    assert_parquet_equals_served(tmp_path / "wh", versions)


def test_the_thrift_codec_writes_back_what_it_reads(tmp_path):
    path = tmp_path / "wide.parquet"
    columns = ", ".join(f"range * {i} as c{i}" for i in range(20))
    duckdb.sql(f"copy (select {columns}, [range] as l, null::varchar as s from range(100)) to '{path}'")
    raw = path.read_bytes()
    size = int.from_bytes(raw[-8:-4], "little")
    footer = raw[-8 - size : -8]
    fields, end = parquet_splice._thrift_read_struct(footer, 0)
    assert end == size
    out = bytearray()
    parquet_splice._thrift_write_struct(fields, out)
    assert bytes(out) == footer
    made = [[1, 5, -3], [2, 6, 2**40], [3, 8, b"x" * 300], [19, 9, (5, list(range(-10, 20)))], [40, 1, None]]
    made.append([41, 12, [[1, 2, None], [2, 9, (1, [1, 2, 1])]]])
    out = bytearray()
    parquet_splice._thrift_write_struct(made, out)
    assert parquet_splice._thrift_read_struct(bytes(out), 0) == (made, len(out))
