"""Documents parsed a chunk at a time, side by side in a process pool: the same rows as one parse."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from orchestration.config import SEEDS_DIR
from orchestration.documents.corpus import TABLES, document_files, parse_documents, parse_to_parquet, parsed_files
from orchestration.documents.places import load_gazetteer
from tests.conftest import REPO_RAW

LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)
ORDER = {
    "document_files": "source_file",
    "document_quarantine": "source_file",
    "documents": "source_file",
    "document_paragraphs": "source_file, paragraph_index",
    "document_dates": "source_file, day, role, context",
    "document_mentions": "source_file, paragraph_index, start_offset",
    "document_claims": "source_file, claim_index",
}


def parsed_rows(folder, table: str) -> list[tuple]:
    files = parsed_files(folder, table)
    if not files:
        return []
    return duckdb.execute(f"select * from read_parquet({files!r}) order by {ORDER[table]}").fetchall()


@pytest.fixture(scope="module")
def corpus(shared_raw) -> list[str]:
    return document_files([REPO_RAW / "documents", shared_raw / "documents"])


def test_chunks_parsed_in_a_pool_give_the_rows_of_one_parse(corpus, tmp_path):
    one, pooled = tmp_path / "one", tmp_path / "pooled"
    hashes = parse_to_parquet(corpus, one, SEEDS_DIR, [], LOADED_AT, processes=1)
    pooled_hashes = parse_to_parquet(corpus, pooled, SEEDS_DIR, [], LOADED_AT, processes=2, chunk_files=3)
    assert len(parsed_files(pooled, "document_files")) == -(-len(corpus) // 3)  # a file per chunk
    assert pooled_hashes == hashes and sorted(hashes) == sorted(corpus)
    for table in TABLES:
        assert parsed_rows(pooled, table) == parsed_rows(one, table), table
    # and what one in-memory parse of the whole corpus gives
    frames = parse_documents({p: open(p, "rb").read() for p in corpus}, load_gazetteer(SEEDS_DIR), LOADED_AT)
    assert len(parsed_rows(one, "document_claims")) == len(frames["document_claims"]) > 0


def test_a_file_gone_before_it_is_parsed_has_no_rows_and_no_hash(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "kept.txt").write_text("长三角观察\n2020年，上海市地区生产总值为38700.58亿元。\n", encoding="utf-8")
    gone = str(folder / "gone.txt")
    hashes = parse_to_parquet([str(folder / "kept.txt"), gone], tmp_path / "parsed", SEEDS_DIR, [], LOADED_AT, 1)
    assert list(hashes) == [str(folder / "kept.txt")]
    assert [row[0] for row in parsed_rows(tmp_path / "parsed", "document_files")] == [str(folder / "kept.txt")]
