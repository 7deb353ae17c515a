"""Properties of the readers for any input (hypothesis): any bytes give rows or a quarantine row and never
an exception, and cleaning is idempotent on its own output."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.config import SEEDS_DIR
from orchestration.documents.claims import claim_rows
from orchestration.documents.cleaning import _without_contained, clean_text
from orchestration.documents.corpus import parse_documents
from orchestration.documents.places import load_gazetteer
from orchestration.raw_files.decoding import RawFile
from orchestration.statistics.reader import parse_statistics_file
from tests.conftest import CATALOGUE, OBSERVATION_HEADER

# the same examples on every run and machine (no test may hang on luck), and no time limit per example:
# a busy machine is no failure. PROPERTY_EXAMPLES=5000 searches further, by hand.
PROPERTIES = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)

# text with the pieces the readers look for: Chinese place names, figures, units, years, punctuation
# of both widths, separators, quotes, HTML and line breaks of every kind
PIECES = st.sampled_from(
    [
        "上海市",
        "武汉",
        "长三角",
        "成渝",
        "地区生产总值",
        "常住人口",
        "亿元",
        "万元",
        "万人",
        "%",
        "年",
        "2020",
        "2017年",
        "38700.58",
        "1.5万亿元",
        "超千万",
        "。",
        "，",
        "；",
        ",",
        ".",
        '"',
        "'",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "\t",
        " ",
        "　",
        "（",
        "）",
        "<p>",
        "</p>",
        "<div class='nav'>",
        "</div>",
        "<title>",
        "&amp;",
        "发布时间：2020-01-02 10:00",
        "点击：12",
        "来源：新华社",
        "…",
        "——",
        "=",
        "-",
        "\x00",
        "\ufeff",
    ]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(PIECES | st.text(max_size=5), max_size=60).map("".join))


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(SEEDS_DIR).load()


def table_bytes(header: str, rows: list[str]) -> bytes:
    return (header + "\n" + "\n".join(rows)).encode()


@PROPERTIES
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        TEXTS.map(lambda t: t.encode("utf-8")),
        TEXTS.map(lambda t: t.encode("gb18030")),
        st.lists(TEXTS, max_size=6).map(lambda rows: table_bytes(OBSERVATION_HEADER, rows)),
        st.lists(st.lists(PIECES, max_size=8).map(",".join), max_size=8).map(
            lambda rows: table_bytes("城市,省份,指标,单位,2017年", rows)
        ),
    ),
    suffix=st.sampled_from([".csv", ".xlsx", ".json"]),
)
def test_any_bytes_give_figures_or_a_quarantine_entry_never_an_exception(data, suffix):
    parsed = parse_statistics_file(RawFile(Path(f"table{suffix}"), data), CATALOGUE)
    # every data row is accounted for: a figure, a quarantined row or cell, or empty cells
    lines = [line for line in data.splitlines()[1:] if line.strip(b" ,\t\r")]
    accounted = parsed.observation_table.num_rows + parsed.quarantine_table.num_rows + parsed.empty_cells
    assert accounted > 0 or not lines or parsed.ignored_columns
    if parsed.error:
        assert parsed.quarantine_table.num_rows == 1 and parsed.observation_table.num_rows == 0
        assert not parsed.error.startswith("the statistics reader failed"), parsed.error  # a bug, caught


@PROPERTIES
@given(data=st.one_of(st.binary(max_size=2000), TEXTS.map(str.encode)), suffix=st.sampled_from([".txt", ".html"]))
def test_any_document_bytes_give_a_document_or_a_quarantine_row(gazetteer, data, suffix):
    tables = parse_documents({f"doc{suffix}": data}, gazetteer, LOADED_AT)
    assert len(tables["document_files"]) == 1
    documents = len(tables["documents"]) if "documents" in tables else 0
    held = len(tables["document_quarantine"]) if "document_quarantine" in tables else 0
    assert documents + held == 1
    if held:
        reason = tables["document_quarantine"]["reason"].iloc[0]
        assert reason and not reason.startswith("the document parser failed"), reason  # a bug, caught


@PROPERTIES
@given(text=TEXTS, html=st.booleans())
def test_cleaning_is_idempotent_on_its_own_output(text, html):
    cleaned = clean_text(text, html=html)
    # the title it cut from a timestamp is a line like any other once the timestamp is gone: given back
    assert clean_text("\n".join(cleaned.paragraphs), title=cleaned.glued_title).paragraphs == cleaned.paragraphs


@PROPERTIES
@given(paragraphs=st.lists(TEXTS, max_size=5))
def test_claims_of_any_text_quote_their_sentence(gazetteer, paragraphs):
    claims, mentions = claim_rows(paragraphs, gazetteer)
    for claim in claims:
        original, sentence = claim[6], claim[12]  # the fields of Claim: sentence is the 13th
        assert original and original in sentence
    for index, start, end, _ in mentions:
        assert 0 <= start < end <= len(paragraphs[index])


@PROPERTIES
@given(paragraphs=st.lists(st.text(alphabet="ab上海，。", max_size=24), max_size=40))
def test_the_index_finds_the_contained_paragraphs_that_searching_every_one_finds(paragraphs):
    assert _without_contained(paragraphs, indexed_from=0) == _without_contained(paragraphs, indexed_from=10**9)
