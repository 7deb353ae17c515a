"""``parse_documents``'s frames, written out for files of every odd kind: which tables appear and in what
order, their columns, dtypes, values and row order; and, for any corpus, that a file's rows are the same
whether it is parsed alone or with others. (One process and several give the same rows: see
``test_document_parsing.py``.)
"""

from __future__ import annotations

import codecs
import hashlib
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate_documents import generate
from orchestration.config import DBT_PROJECT_DIR
from orchestration.documents.corpus import TABLES, parse_documents
from orchestration.documents.places import load_gazetteer
from tests.test_document_behaviour import PARAGRAPHS

LOADED_AT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
# Every way a file ends in quarantine, and files with the rarer values (ranges, dated pages, UTF-16).
ODD_FILES = {
    "a_empty.txt": b"  \n ",
    "b_binary.txt": b"\x00\x01\x02abc",
    "c_table.csv": "城市,GDP\n武汉,1\n".encode(),
    # a UTF-16 byte-order mark, then bytes that read as UTF-16 only with an unassigned code point: refused
    "d_undecodable.txt": b"\xff\xfe\xfa\x81\x30" * 3 + b"\xc3",
    "d2_undecodable.txt": b"abc\xff\xfe\xfa",
    "e_chrome_only.html": "<html><nav>首页 > 新闻</nav><footer>版权所有</footer></html>".encode(),
    "f_boilerplate_only.txt": "首页 > 新闻\n点击数：12\n".encode(),
    "g_utf16.txt": codecs.BOM_UTF16_LE + "武汉市GDP约1.2万亿元，增长3%—5%。".encode("utf-16-le"),
    "h_bom.md": codecs.BOM_UTF8 + "# 长沙\n\n长沙市2019年投资3000亿—4000亿元。".encode(),
    "i_page.htm": (
        "<html><title>长江中游</title><p>长江中游城市群观察 发布时间：2022-03-01 09:15</p>"
        "<p>新华社武汉3月5日电 2023年5月1日，武汉市GDP达到1.8万亿元，增长4%。</p></html>"
    ).encode(),
    "j_gbk.TXT": "新华社上海3月5日电 记者王伟报道：2020年上海市GDP 3.87万亿元。".encode("gbk"),
    "k_no_numbers.txt": "没有数字，也没有地名".encode(),
}
PARSED_TABLES = ["documents", "document_paragraphs", "document_dates", "document_mentions", "document_claims"]


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(DBT_PROJECT_DIR / "seeds")


@pytest.fixture(scope="module")
def odd(gazetteer) -> dict[str, pd.DataFrame]:
    return parse_documents(ODD_FILES, gazetteer, LOADED_AT)


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows of ``columns`` (all when none are named), a missing value (None, NaN, NaT) as None."""
    frame = frame[list(columns)] if columns else frame
    return [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]


def text_id(text: str) -> str:
    """A document's id: the SHA-256 of its text in UTF-8, whatever the file's encoding."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_every_file_is_listed_parsed_or_quarantined(odd):
    assert list(odd) == ["document_files", "document_quarantine", *PARSED_TABLES]  # in the order of a first row
    assert rows(odd["document_files"], "source_file", "size_bytes", "encoding", "status") == [
        ("a_empty.txt", 4, None, "quarantined"),
        ("b_binary.txt", 6, None, "quarantined"),
        ("c_table.csv", 20, None, "quarantined"),
        ("d_undecodable.txt", 16, None, "quarantined"),
        ("d2_undecodable.txt", 6, None, "quarantined"),
        ("e_chrome_only.html", 68, "utf-8", "quarantined"),
        ("f_boilerplate_only.txt", 31, "utf-8", "quarantined"),
        ("g_utf16.txt", 46, "utf-16", "parsed"),
        ("h_bom.md", 58, "utf-8-sig", "parsed"),
        ("i_page.htm", 202, "utf-8", "parsed"),
        ("j_gbk.TXT", 61, "gb18030", "parsed"),
        ("k_no_numbers.txt", 30, "utf-8", "parsed"),
    ]
    assert rows(odd["document_quarantine"], "source_file", "reason") == [
        ("a_empty.txt", "empty file"),
        ("b_binary.txt", "binary content: a NUL byte at offset 0 and no UTF-16 byte-order mark"),
        ("c_table.csv", "unsupported document format '.csv'; expected ['.htm', '.html', '.md', '.txt']"),
        (
            "d_undecodable.txt",
            "undecodable bytes: a UTF-16 byte-order mark, but unassigned code point U+FAFE at character 2: "
            "not UTF-16 text",
        ),
        ("d2_undecodable.txt", "undecodable bytes: utf-8 fails at byte 3; gb18030 fails at byte 3"),
        ("e_chrome_only.html", "no text left after cleaning"),
        ("f_boilerplate_only.txt", "no text left after cleaning"),
    ]
    files = odd["document_files"].set_index("source_file")
    assert files.loc["k_no_numbers.txt", "file_sha256"] == hashlib.sha256(ODD_FILES["k_no_numbers.txt"]).hexdigest()
    assert files.loc["k_no_numbers.txt", "document_id"] == text_id("没有数字，也没有地名") == "53b2d569f3ddd25d"
    assert files.loc["j_gbk.TXT", "document_id"] == text_id(ODD_FILES["j_gbk.TXT"].decode("gbk"))
    # a file whose text cleaning empties has an id; one that cannot be read has none
    assert files.loc["f_boilerplate_only.txt", "document_id"] == text_id("首页 > 新闻\n点击数：12")
    assert pd.isna(files.loc["a_empty.txt", "document_id"])


def test_documents(odd):
    columns = ["source_file", "file_format", "title", "kind", "carrier", "outlet", "dateline_place"]
    assert rows(odd["documents"], *columns) == [
        ("g_utf16.txt", "text", None, "report", "text", None, None),
        ("h_bom.md", "markdown", "长沙", "report", "text", None, None),
        # the title glued to the page's time, not its <title>
        ("i_page.htm", "html", "长江中游城市群观察", "news", "web_page", "新华社", "武汉"),
        ("j_gbk.TXT", "text", None, "news", "text", "新华社", "上海"),
        ("k_no_numbers.txt", "text", "没有数字，也没有地名", "report", "text", None, None),
    ]
    columns = ["published_on", "published_how", "page_time", "paragraph_count", "is_truncated", "text_chars"]
    assert rows(odd["documents"], *columns) == [
        (None, None, None, 1, False, 22),
        (None, None, None, 2, False, 27),
        (date(2022, 3, 1), "stated", pd.Timestamp("2022-03-01 09:15"), 2, False, 50),
        (date(2021, 3, 5), "inferred", None, 1, False, 38),  # the year after its figures' (2020)
        (None, None, None, 1, True, 10),  # a line that stops at a comma
    ]
    assert set(odd["documents"]["author"]) == {None}  # 记者王伟 follows a space: no reporter found
    assert set(odd["documents"]["loaded_at"]) == {pd.Timestamp(LOADED_AT)}


def test_paragraphs_dates_mentions_and_claims(odd):
    paragraphs = odd["document_paragraphs"]
    assert rows(paragraphs[paragraphs.source_file == "h_bom.md"], "paragraph_index", "text") == [
        (0, "# 长沙"),
        (1, "长沙市2019年投资3000亿—4000亿元。"),
    ]
    assert rows(odd["document_dates"], "source_file", "day", "precision", "role", "how", "suspect", "context") == [
        (
            "i_page.htm",
            date(2023, 5, 1),
            "day",
            "event",
            "stated",
            "after the publication date 2022-03-01",
            paragraphs.text[4],
        ),
        ("i_page.htm", date(2022, 3, 1), "day", "page_time", "stated", None, "page time"),
        ("i_page.htm", date(2022, 3, 1), "day", "publication", "stated", None, "page time"),
        ("j_gbk.TXT", date(2021, 3, 5), "day", "publication", "inferred", None, "新华社上海3月5日电"),
    ]
    assert paragraphs.text[4] == "新华社武汉3月5日电 2023年5月1日，武汉市GDP达到1.8万亿元，增长4%。"
    columns = ["source_file", "paragraph_index", "start_offset", "end_offset", "surface", "entity_code", "cluster_id"]
    assert rows(odd["document_mentions"], *columns) == [
        ("g_utf16.txt", 0, 0, 3, "武汉市", "420100", "myr"),
        ("h_bom.md", 0, 2, 4, "长沙", "430100", "myr"),
        ("h_bom.md", 1, 0, 3, "长沙市", "430100", "myr"),
        ("i_page.htm", 0, 0, 7, "长江中游城市群", "myr", "myr"),
        ("i_page.htm", 1, 3, 5, "武汉", "420100", "myr"),
        ("i_page.htm", 1, 21, 24, "武汉市", "420100", "myr"),
        ("j_gbk.TXT", 0, 3, 5, "上海", "310000", "yrd"),
        ("j_gbk.TXT", 0, 23, 26, "上海市", "310000", "yrd"),
    ]
    columns = ["source_file", "claim_index", "metric", "value", "value_high", "original_text", "year", "entity_code"]
    assert rows(odd["document_claims"], *columns + ["qualifier"]) == [
        ("g_utf16.txt", 0, "gdp", 1.2e12, None, "1.2万亿元", None, "420100", "约"),
        ("g_utf16.txt", 1, "growth", 3.0, 5.0, "3%—5%", None, "420100", "增长"),  # a range
        ("h_bom.md", 0, "investment", 3e11, 4e11, "3000亿—4000亿元", 2019, "430100", None),  # 亿 on both ends
        ("i_page.htm", 0, "gdp", 1.8e12, None, "1.8万亿元", 2023, "420100", None),
        ("i_page.htm", 1, "growth", 4.0, None, "4%", 2023, "420100", "增长"),
        ("j_gbk.TXT", 0, "gdp", 3.87e12, None, "3.87万亿元", 2020, "310000", None),
    ]


TEXT = "str"  # pandas' text dtype
COLUMN_TYPES = {
    "document_files": {
        TEXT: ["source_file", "file_sha256", "encoding", "document_id", "status"],
        "int64": ["size_bytes"],
        "datetime64[us, UTC]": ["loaded_at"],
    },
    "document_quarantine": {
        TEXT: ["source_file", "file_sha256", "reason"],
        "int64": ["size_bytes"],
        "datetime64[us, UTC]": ["loaded_at"],
    },
    "documents": {
        TEXT: ["document_id", "source_file", "file_sha256", "file_format", "encoding", "title", "kind", "carrier"]
        + ["outlet", "dateline_place", "published_how"],
        "object": ["author", "published_on", "boilerplate_removed"],  # None in every row; dates
        "datetime64[us]": ["page_time"],
        "int64": ["nonempty_lines", "distinct_lines", "paragraph_count", "repeated_paragraphs_dropped"]
        + ["sentences_rejoined", "text_chars"],
        "bool": ["is_truncated"],
        "datetime64[us, UTC]": ["loaded_at"],
    },
    "document_paragraphs": {TEXT: ["document_id", "source_file", "text"], "int64": ["paragraph_index"]},
    "document_dates": {
        TEXT: ["document_id", "source_file", "precision", "role", "how", "suspect", "context"],
        "object": ["day"],
    },
    "document_mentions": {
        TEXT: ["document_id", "source_file", "surface", "entity_type", "entity_code", "entity_name", "cluster_id"],
        "int64": ["paragraph_index", "start_offset", "end_offset"],
    },
    "document_claims": {
        TEXT: ["document_id", "source_file", "metric", "unit", "original_text", "entity_type", "entity_code"]
        + ["entity_name", "qualifier", "sentence", "year_basis"],
        "int64": ["claim_index", "paragraph_index", "sentence_index"],
        "float64": ["value", "value_high", "year", "claim_year"],  # a year with gaps is a float
        # None in every row: no claim here is about several places
        "object": ["scope_kind", "scope_indicator", "scope_threshold", "scope_code", "claimed_rank"],
    },
}


def test_columns_and_their_types(odd):
    """Columns in the order of the tables' schemas. Text is str (object when every value is None),
    integers int64, booleans bool; dates stay dates in an object column."""
    for name, frame in odd.items():
        assert list(frame.columns) == list(TABLES[name].names), name
        types: dict[str, list[str]] = {}
        for column, dtype in frame.dtypes.items():
            types.setdefault(str(dtype), []).append(column)
        assert types == COLUMN_TYPES[name], name
    assert [type(v) for v in odd["documents"]["published_on"]] == [type(None)] * 2 + [date, date, type(None)]
    assert {type(v) for v in odd["document_dates"]["day"]} == {date}
    assert list(odd["documents"]["author"]) == [None] * 5


@pytest.mark.parametrize(
    ("first", "alone", "with_the_others"),
    [
        (
            "a_empty.txt",
            ["document_files", "document_quarantine"],
            ["document_files", "document_quarantine", *PARSED_TABLES],
        ),
        (
            "f_boilerplate_only.txt",  # read, then nothing left: quarantined
            ["document_files", "document_quarantine"],
            ["document_files", "document_quarantine", *PARSED_TABLES],
        ),
        (
            "k_no_numbers.txt",  # parsed: the five tables of a parsed file open, even with no row
            ["document_files", *PARSED_TABLES],
            ["document_files", *PARSED_TABLES, "document_quarantine"],
        ),
    ],
)
def test_tables_appear_in_the_order_of_their_first_row(gazetteer, first, alone, with_the_others):
    tables = parse_documents({first: ODD_FILES[first]}, gazetteer, LOADED_AT)
    assert list(tables) == alone
    # a parsed file with no date, place or claim opens their tables all the same: empty, with no columns
    empty = [name for name, frame in tables.items() if frame.shape == (0, 0)]
    assert empty == [name for name in ("document_dates", "document_mentions", "document_claims") if name in alone]
    everything = parse_documents({first: ODD_FILES[first], **ODD_FILES}, gazetteer, LOADED_AT)
    assert list(everything) == with_the_others
    assert parse_documents({}, gazetteer, LOADED_AT) == {}


def test_without_a_load_time_the_column_holds_none(gazetteer):
    tables = parse_documents({"a_empty.txt": b"", "k.txt": "武汉".encode()}, gazetteer, None)
    for name in ("document_files", "document_quarantine", "documents"):
        assert str(tables[name]["loaded_at"].dtype) == "object"
        assert set(tables[name]["loaded_at"]) == {None}


# ---------------------------------------------------------------------------------------------
# A file's rows do not depend on the files parsed with it


def by_file(tables: dict[str, pd.DataFrame]) -> dict[tuple[str, str], list[tuple]]:
    """(table, file) -> its rows in that table, missing values as None."""
    found: dict[tuple[str, str], list[tuple]] = {}
    for name, frame in tables.items():
        for row in rows(frame):
            found.setdefault((name, row[list(frame.columns).index("source_file")]), []).append(row)
    return found


def assert_each_file_parses_as_it_does_alone(contents: dict[str, bytes], gazetteer) -> dict[str, pd.DataFrame]:
    together = parse_documents(contents, gazetteer, LOADED_AT)
    alone: dict[tuple[str, str], list[tuple]] = {}
    for name, data in contents.items():
        alone |= by_file(parse_documents({name: data}, gazetteer, LOADED_AT))
    assert by_file(together) == alone
    assert list(together["document_files"]["source_file"]) == list(contents)  # in the order given
    return together


def test_odd_files_parse_as_they_do_alone(gazetteer):
    assert_each_file_parses_as_it_does_alone(ODD_FILES, gazetteer)


def test_a_synthetic_corpus_parses_as_its_files_do_alone(gazetteer, tmp_path):
    contents = {str(p): p.read_bytes() for p in generate(tmp_path, 40, seed=5)}
    together = assert_each_file_parses_as_it_does_alone(contents, gazetteer)
    assert len(together["document_claims"]) > 1000 and set(together["documents"]["encoding"]) == {"utf-8", "gb18030"}


@settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(
        st.tuples(
            st.lists(PARAGRAPHS, min_size=1, max_size=6),
            st.sampled_from([".txt", ".md", ".html"]),
            st.sampled_from(["utf-8", "gb18030", "utf-16"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_files_parse_as_they_do_alone(gazetteer, files):
    contents = {}
    for i, (lines, suffix, encoding) in enumerate(files):
        text = ("<p>" if suffix == ".html" else "\n").join(lines)
        contents[f"{i:02d}{suffix}"] = text.encode(encoding)
    assert_each_file_parses_as_it_does_alone(contents, gazetteer)
