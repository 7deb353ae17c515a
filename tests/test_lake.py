"""The lake: partitioned tables rewritten only where rows changed, and each source committed as a whole
new version."""

from __future__ import annotations

import os

import duckdb
import pyarrow as pa
import pytest

from orchestration.lake.tables import (
    PARTITIONING_FILE,
    SourceVersion,
    kept_and_new,
    parts_for,
    row_count,
    typed,
    write_parts,
    write_table,
)

COLUMNS = "source_file varchar, paragraph_index integer, text varchar"


@pytest.fixture()
def conn():
    conn = duckdb.connect()
    rows = conn.execute(
        "select 'documents/' || (i % 50) || '.txt' as source_file, i // 50 as paragraph_index, "
        "'paragraph ' || i as text from range(1000) r(i)"
    ).to_arrow_table()
    conn.register("_all", rows)
    yield conn
    conn.close()


def lake_rows(conn, folder) -> list[tuple]:
    return conn.execute(f"select * from read_parquet('{folder}/*.parquet') order by all").fetchall()


def expected(conn, where: str = "true") -> list[tuple]:
    return conn.execute(f"select * from _all where {where} order by all").fetchall()


def part_files(folder) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.glob("*.parquet")}


def part_sql(files: list[str], parts: int) -> set[int]:
    rows = duckdb.execute(f"select distinct cast(md5_number(f) % {parts} as integer) from unnest(?) t(f)", [files])
    return {part for (part,) in rows.fetchall()}


def test_parts_grow_in_powers_of_two_with_the_corpus():
    assert [parts_for(n) for n in (0, 1, 2000, 2001, 4001, 100_000, 10**9)] == [1, 1, 1, 2, 4, 64, 256]


def test_a_full_write_splits_the_table_by_source_file(conn, tmp_path):
    write_parts(conn, tmp_path, COLUMNS, "select * from _all", None, 4)
    assert sorted(part_files(tmp_path)) == [f"part-{i:03d}.parquet" for i in range(4)]
    assert lake_rows(conn, tmp_path) == expected(conn)
    spread = conn.execute(
        f"select source_file, count(distinct filename) from read_parquet('{tmp_path}/*.parquet', filename = true) "
        "group by 1 having count(distinct filename) > 1"
    ).fetchall()
    assert spread == []  # every source file lies in exactly one part
    assert (tmp_path / PARTITIONING_FILE).read_text(encoding="utf-8") == "md5 of source_file, 4 parts"


def test_an_incremental_write_rewrites_only_the_touched_parts(conn, tmp_path):
    write_parts(conn, tmp_path, COLUMNS, "select * from _all", None, 8)
    before = part_files(tmp_path)
    stale = ["documents/7.txt", "documents/8.txt", "new.txt"]  # changed, deleted, new
    conn.register("_new", pa.table({"source_file": ["documents/7.txt", "new.txt"], "text": ["changed", "new"]}))
    write_parts(conn, tmp_path, COLUMNS, "select * from _new", stale, 8)
    after = part_files(tmp_path)
    rows = set(expected(conn, "source_file not in ('documents/7.txt', 'documents/8.txt')"))
    rows |= {("documents/7.txt", None, "changed"), ("new.txt", None, "new")}
    assert set(lake_rows(conn, tmp_path)) == rows
    rewritten = {name for name in after if before.get(name) != after[name]}
    assert rewritten == {f"part-{i:03d}.parquet" for i in part_sql(stale, 8)}


def test_another_number_of_parts_rewrites_the_table_whole(conn, tmp_path):
    conn.execute(f"copy _all to '{tmp_path}/data.parquet' (format parquet)")  # the unpartitioned layout
    write_parts(conn, tmp_path, COLUMNS, None, ["documents/0.txt"], 2)  # a change, but no rule yet
    assert sorted(part_files(tmp_path)) == ["part-000.parquet", "part-001.parquet"]
    assert lake_rows(conn, tmp_path) == expected(conn, "source_file <> 'documents/0.txt'")
    write_parts(conn, tmp_path, COLUMNS, None, ["documents/1.txt"], 4)
    assert sorted(part_files(tmp_path)) == [f"part-{i:03d}.parquet" for i in range(4)]
    assert lake_rows(conn, tmp_path) == expected(conn, "source_file not in ('documents/0.txt', 'documents/1.txt')")


def test_a_part_left_empty_loses_its_file_and_an_empty_table_keeps_one(conn, tmp_path):
    write_parts(conn, tmp_path, COLUMNS, "select * from _all", None, 2)
    files = [f"documents/{i}.txt" for i in range(50)]
    odd = [f for f in files if part_sql([f], 2) == {1}]
    write_parts(conn, tmp_path, COLUMNS, None, odd, 2)
    assert sorted(part_files(tmp_path)) == ["part-000.parquet"]
    write_parts(conn, tmp_path, COLUMNS, None, files, 2)
    assert sorted(part_files(tmp_path)) == ["part-000.parquet"]
    columns = conn.execute(f"describe select * from read_parquet('{tmp_path}/*.parquet')").fetchall()
    assert [c[:2] for c in columns] == [("source_file", "VARCHAR"), ("paragraph_index", "INTEGER"), ("text", "VARCHAR")]
    assert lake_rows(conn, tmp_path) == []


def test_rows_are_typed_by_the_columns_whatever_they_were_read_from(conn, tmp_path):
    conn.register("_loose", pa.table({"text": ["x"], "source_file": ["a.txt"], "extra": [1]}))
    assert write_table(conn, tmp_path, COLUMNS, "select * from _loose") == 1
    assert conn.execute(f"select * from '{tmp_path}/data.parquet'").fetchall() == [("a.txt", None, "x")]
    assert conn.execute(f"select * from ({typed(COLUMNS, kept_and_new(conn, None, [], None))})").fetchall() == []


def test_a_source_version_is_seen_whole_or_not_at_all(conn, tmp_path):
    first = SourceVersion(tmp_path, "documents")
    write_table(conn, first.table("documents"), COLUMNS, "select * from _all")
    assert not (tmp_path / "documents").exists()  # nothing to read before the commit
    first.commit()
    assert row_count(conn, tmp_path / "documents" / "documents") == 1000

    second = SourceVersion(tmp_path, "documents")
    old_file = tmp_path / "documents" / "documents" / "data.parquet"
    inode = old_file.stat().st_ino
    query = kept_and_new(conn, tmp_path / "documents" / "documents", ["documents/0.txt"], None)
    write_table(conn, second.table("documents"), COLUMNS, query)
    # until the commit, readers see the old rows: the new version wrote a new file, not into the old one
    assert row_count(conn, tmp_path / "documents" / "documents") == 1000 and old_file.stat().st_ino == inode
    second.commit()
    assert row_count(conn, tmp_path / "documents" / "documents") == 980
    assert len([p for p in tmp_path.iterdir() if p.name.startswith(".documents.")]) == 1

    killed = SourceVersion(tmp_path, "documents")  # a refresh killed before it committed
    write_table(conn, killed.table("documents"), COLUMNS, "select * from _all where false")
    SourceVersion(tmp_path, "documents").discard()  # the next refresh removes what it left
    assert not killed.folder.exists()
    assert row_count(conn, tmp_path / "documents" / "documents") == 980
    assert os.path.islink(tmp_path / "documents")
