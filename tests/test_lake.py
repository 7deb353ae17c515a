"""The lake's partitioned tables: parts by source file, rewritten only where rows changed."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.lib.lake import (
    PARTITIONING_FILE,
    export_partitioned,
    lake_folder,
    part_of,
    parts_for,
    touched_parts,
)

DDL = "source_file varchar, paragraph_index integer, text varchar"


@pytest.fixture()
def conn():
    conn = duckdb.connect()
    conn.execute("create schema raw")
    conn.execute(f"create table raw.document_paragraphs ({DDL})")
    conn.execute(
        "insert into raw.document_paragraphs "
        "select 'documents/' || (i % 50) || '.txt', i // 50, 'paragraph ' || i from range(1000) r(i)"
    )
    yield conn
    conn.close()


def files(conn) -> list[str]:
    return [f for (f,) in conn.execute("select distinct source_file from raw.document_paragraphs").fetchall()]


def export(conn, lake, parts, changed):
    return export_partitioned(conn, lake, ["raw.document_paragraphs"], files(conn), parts, changed)


def lake_rows(conn, folder) -> list[tuple]:
    return conn.execute(f"select * from read_parquet('{folder}/*.parquet') order by all").fetchall()


def table_rows(conn) -> list[tuple]:
    return conn.execute("select * from raw.document_paragraphs order by all").fetchall()


def part_files(folder) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}


def test_parts_grow_in_powers_of_two_with_the_corpus():
    assert [parts_for(n) for n in (0, 1, 2000, 2001, 4001, 100_000, 10**9)] == [1, 1, 1, 2, 4, 64, 256]


def test_a_full_export_splits_the_table_by_source_file(conn, tmp_path):
    export(conn, tmp_path, 4, None)
    folder = lake_folder(tmp_path, "document_paragraphs")
    assert sorted(part_files(folder)) == [f"part-{i:03d}.parquet" for i in range(4)]
    assert lake_rows(conn, folder) == table_rows(conn)
    # every source file lies in exactly one part
    spread = conn.execute(
        f"select source_file, count(distinct filename) from read_parquet('{folder}/*.parquet', filename = true) "
        "group by 1 having count(distinct filename) > 1"
    ).fetchall()
    assert spread == []
    assert (folder / PARTITIONING_FILE).read_text(encoding="utf-8") == "md5 of source_file, 4 parts"


def test_an_incremental_export_rewrites_only_the_touched_parts(conn, tmp_path):
    export(conn, tmp_path, 8, None)
    folder = lake_folder(tmp_path, "document_paragraphs")
    before = part_files(folder)
    conn.execute("delete from raw.document_paragraphs where source_file in ('documents/7.txt', 'documents/8.txt')")
    conn.execute("insert into raw.document_paragraphs values ('documents/7.txt', 0, 'changed'), ('new.txt', 0, 'new')")
    changed = ["documents/7.txt", "documents/8.txt", "new.txt"]
    touched = touched_parts(changed, 8)
    assert 1 <= len(touched) <= 3
    export(conn, tmp_path, 8, changed)
    after = part_files(folder)
    assert lake_rows(conn, folder) == table_rows(conn)
    rewritten = {name for name in after if before.get(name) != after[name]}
    assert rewritten == {f"part-{i:03d}.parquet" for i in touched}


def test_another_number_of_parts_rewrites_the_table_whole(conn, tmp_path):
    folder = lake_folder(tmp_path, "document_paragraphs")
    folder.mkdir(parents=True)
    conn.execute(f"copy raw.document_paragraphs to '{folder}/data.parquet' (format parquet)")  # the old layout
    export(conn, tmp_path, 2, ["documents/0.txt"])  # a change, but no rule yet
    assert sorted(part_files(folder)) == ["part-000.parquet", "part-001.parquet"]
    export(conn, tmp_path, 4, ["documents/1.txt"])
    assert sorted(part_files(folder)) == [f"part-{i:03d}.parquet" for i in range(4)]
    assert lake_rows(conn, folder) == table_rows(conn)


def test_a_part_left_empty_loses_its_file_and_an_empty_table_keeps_one(conn, tmp_path):
    export(conn, tmp_path, 2, None)
    folder = lake_folder(tmp_path, "document_paragraphs")
    odd = [f for f in files(conn) if part_of(f, 2) == 1]
    conn.execute("delete from raw.document_paragraphs where list_contains(?, source_file)", [odd])
    export(conn, tmp_path, 2, odd)
    assert sorted(part_files(folder)) == ["part-000.parquet"]
    even = files(conn)
    conn.execute("delete from raw.document_paragraphs")
    export(conn, tmp_path, 2, even)
    assert sorted(part_files(folder)) == ["part-000.parquet"]
    columns = conn.execute(f"describe select * from read_parquet('{folder}/*.parquet')").fetchall()
    assert [c[0] for c in columns] == ["source_file", "paragraph_index", "text"]
    assert lake_rows(conn, folder) == []


def test_rows_of_no_listed_file_stop_the_export(conn, tmp_path):
    with pytest.raises(ValueError, match="1000 rows belong to no listed source file"):
        export_partitioned(conn, tmp_path, ["raw.document_paragraphs"], ["elsewhere.txt"], 2, None)
    assert not list(lake_folder(tmp_path, "document_paragraphs").glob("*.parquet"))


def test_a_touched_part_unlike_the_table_is_written_from_the_table(conn, tmp_path):
    """An incremental export keeps a part's unchanged rows from its file; a file of other columns (or
    none) is not trusted for them."""
    export(conn, tmp_path, 2, None)
    folder = lake_folder(tmp_path, "document_paragraphs")
    changed = "documents/3.txt"
    part = folder / f"part-{part_of(changed, 2):03d}.parquet"
    conn.execute(f"copy (select *, 1 as stray from read_parquet('{part}')) to '{part}.tmp' (format parquet)")
    part.with_name(part.name + ".tmp").replace(part)
    conn.execute("update raw.document_paragraphs set text = 'changed' where source_file = ?", [changed])
    export(conn, tmp_path, 2, [changed])
    assert lake_rows(conn, folder) == table_rows(conn)
    part.unlink()
    export(conn, tmp_path, 2, [changed])
    assert lake_rows(conn, folder) == table_rows(conn)
