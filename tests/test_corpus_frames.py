"""``parse_documents`` gives the frames the row-by-row code gave: same tables in the same order, same
columns, dtypes, values and row order, whether the files are parsed in one process or several.

The reference below is ``parse_documents`` as it was before the tables were built as columns (a dict per
row, one ``pd.DataFrame(rows)`` per table); the cleaning, claims and metadata it calls are compared with
their own references in ``test_document_speed_equivalence.py``.
"""

from __future__ import annotations

import codecs
import random
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.generate_documents import generate
from orchestration.config import DBT_PROJECT_DIR
from orchestration.documents.claims import extract_claims
from orchestration.documents.cleaning import clean_text, extract_metadata
from orchestration.documents.corpus import DOCUMENT_SUFFIXES, _decode, document_files, document_id, parse_documents
from orchestration.documents.places import load_gazetteer
from orchestration.raw_files.decoding import RawFile
from tests.conftest import REPO_RAW, SHARED_RAW
from tests.test_document_speed_equivalence import random_text

LOADED_AT = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(DBT_PROJECT_DIR / "seeds")


def reference_parse_documents(contents: dict[str, bytes], gazetteer, loaded_at) -> dict[str, pd.DataFrame]:
    tables: dict[str, list[dict]] = defaultdict(list)
    for name, data in contents.items():
        path = Path(name)
        raw = RawFile(path, data)
        file_row = {
            "source_file": str(path),
            "file_sha256": raw.sha256,
            "size_bytes": len(raw.data),
            "loaded_at": loaded_at,
        }
        problem, text, encoding = _decode(path, raw)
        if problem:
            tables["document_files"].append(
                {**file_row, "encoding": encoding, "document_id": None, "status": "quarantined"}
            )
            tables["document_quarantine"].append({**file_row, "reason": problem})
            continue
        doc_id = document_id(text)
        tables["document_files"].append({**file_row, "encoding": encoding, "document_id": doc_id, "status": "parsed"})
        fmt = DOCUMENT_SUFFIXES[path.suffix.lower()]
        cleaned = clean_text(text, html=fmt == "html")
        if not cleaned.paragraphs:
            tables["document_files"][-1]["status"] = "quarantined"
            tables["document_quarantine"].append({**file_row, "reason": "no text left after cleaning"})
            continue
        claims, mentions = extract_claims(cleaned.paragraphs, gazetteer)
        figure_years = {c.year for c in claims if c.year}
        meta = extract_metadata(cleaned, gazetteer.name_set, is_html=fmt == "html", figure_years=figure_years)
        in_file = {"document_id": doc_id, "source_file": str(path)}
        tables["documents"].append(
            {
                **in_file,
                "file_sha256": raw.sha256,
                "file_format": fmt,
                "encoding": encoding,
                "title": meta.title,
                "kind": meta.kind,
                "carrier": meta.carrier,
                "outlet": meta.outlet,
                "author": meta.author,
                "dateline_place": meta.dateline_place,
                "published_on": meta.published.day if meta.published else None,
                "published_how": meta.published.how if meta.published else None,
                "page_time": cleaned.page_time,
                "nonempty_lines": cleaned.nonempty_lines,
                "distinct_lines": cleaned.distinct_lines,
                "paragraph_count": len(cleaned.paragraphs),
                "repeated_paragraphs_dropped": cleaned.repeated_dropped,
                "sentences_rejoined": cleaned.rejoined,
                "boilerplate_removed": " | ".join(f"{kind}: {line}" for kind, line in cleaned.boilerplate) or None,
                "is_truncated": cleaned.truncated,
                "text_chars": sum(len(p) for p in cleaned.paragraphs),
                "loaded_at": loaded_at,
            }
        )
        tables["document_paragraphs"].extend(
            {**in_file, "paragraph_index": i, "text": p} for i, p in enumerate(cleaned.paragraphs)
        )
        tables["document_dates"].extend(
            {
                **in_file,
                **{k: v for k, v in asdict(d).items() if k != "context"},
                "context": d.context[:200],
            }
            for d in meta.dates + ([meta.published] if meta.published and meta.published.role == "publication" else [])
        )
        tables["document_mentions"].extend(
            {
                **in_file,
                "paragraph_index": p_index,
                "start_offset": m.start,
                "end_offset": m.end,
                "surface": cleaned.paragraphs[p_index][m.start : m.end],
                "entity_type": m.place.entity_type,
                "entity_code": m.place.entity_code,
                "entity_name": m.place.canonical_name,
                "cluster_id": m.place.cluster_id,
            }
            for p_index, m in mentions
        )
        tables["document_claims"].extend({**in_file, "claim_index": i, **asdict(c)} for i, c in enumerate(claims))
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}


def assert_same_tables(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(actual) == list(expected)
    for name, frame in expected.items():
        got = actual[name]
        assert list(got.columns) == list(frame.columns), name
        assert got.dtypes.to_dict() == frame.dtypes.to_dict(), name
        pd.testing.assert_frame_equal(got, frame, check_exact=True, check_column_type=True, obj=name)
        # same Python values too (None stays None in object columns, dates stay dates)
        for column in frame.columns:
            if frame[column].dtype == object:
                assert [type(v) for v in got[column]] == [type(v) for v in frame[column]], (name, column)


def contents_of(paths: list[Path] | list[str]) -> dict[str, bytes]:
    return {str(p): Path(p).read_bytes() for p in paths}


def odd_files(tmp_path: Path) -> dict[str, bytes]:
    """Every way a file ends in quarantine, and files with the rarer values (ranges, dated pages, UTF-16)."""
    return {
        str(tmp_path / "a_empty.txt"): b"  \n ",
        str(tmp_path / "b_binary.txt"): b"\x00\x01\x02abc",
        str(tmp_path / "c_table.csv"): "城市,GDP\n武汉,1\n".encode(),
        str(tmp_path / "d_undecodable.txt"): b"\xff\xfe\xfa\x81\x30" * 3 + b"\xc3",
        str(tmp_path / "e_chrome_only.html"): "<html><nav>首页 > 新闻</nav><footer>版权所有</footer></html>".encode(),
        str(tmp_path / "f_boilerplate_only.txt"): "首页 > 新闻\n点击数：12\n".encode(),
        str(tmp_path / "g_utf16.txt"): codecs.BOM_UTF16_LE + "武汉市GDP约1.2万亿元，增长3%—5%。".encode("utf-16-le"),
        str(tmp_path / "h_bom.md"): codecs.BOM_UTF8 + "# 长沙\n\n长沙市2019年投资3000亿—4000亿元。".encode(),
        str(tmp_path / "i_page.htm"): (
            "<html><title>长江中游</title><p>长江中游城市群观察 发布时间：2022-03-01 09:15</p>"
            "<p>新华社武汉3月5日电 2023年5月1日，武汉市GDP达到1.8万亿元，增长4%。</p></html>"
        ).encode(),
        str(tmp_path / "j_gbk.TXT"): "新华社上海3月5日电 记者王伟报道：2020年上海市GDP 3.87万亿元。".encode("gbk"),
        str(tmp_path / "k_no_numbers.txt"): "没有数字，也没有地名".encode(),
    }


def test_synthetic_corpus(gazetteer, tmp_path):
    contents = contents_of(generate(tmp_path / "synthetic", 300, seed=5))
    expected = reference_parse_documents(contents, gazetteer, LOADED_AT)
    assert len(expected["document_claims"]) > 5000
    assert_same_tables(parse_documents(contents, gazetteer, LOADED_AT), expected)


def test_bundled_shared_and_odd_files(gazetteer, tmp_path):
    paths = document_files(tuple(p for p in (REPO_RAW / "documents", SHARED_RAW / "documents") if p.is_dir()))
    contents = {**odd_files(tmp_path), **contents_of(paths)}
    for loaded_at in (LOADED_AT, None):
        expected = reference_parse_documents(contents, gazetteer, loaded_at)
        assert "document_quarantine" in expected
        assert_same_tables(parse_documents(contents, gazetteer, loaded_at), expected)


@pytest.mark.parametrize("first", ["quarantined", "parsed", "nothing_left"])
def test_tables_appear_in_the_order_of_their_first_row(gazetteer, tmp_path, first):
    files = odd_files(tmp_path)
    lead = {"quarantined": "a_empty.txt", "parsed": "k_no_numbers.txt", "nothing_left": "f_boilerplate_only.txt"}
    contents = {str(tmp_path / lead[first]): files[str(tmp_path / lead[first])]}
    contents.update(files)
    for subset in (dict(list(contents.items())[:1]), contents):
        expected = reference_parse_documents(subset, gazetteer, LOADED_AT)
        assert_same_tables(parse_documents(subset, gazetteer, LOADED_AT), expected)
    assert parse_documents({}, gazetteer, LOADED_AT) == reference_parse_documents({}, gazetteer, LOADED_AT) == {}


def test_random_documents(gazetteer, tmp_path):
    """Random texts from the pieces that matter: ranges (value_high), dates after the publication date
    (suspect), missing years; one file at a time too, where a column can be all None."""
    rng = random.Random(21)
    contents = {}
    for i in range(400):
        lines = [random_text(rng, gazetteer.names, rng.randint(0, 30)) for _ in range(rng.randint(1, 10))]
        if rng.random() < 0.3:  # a range: value_high
            unit = rng.choice(["%", "亿元"])
            lines.append(f"{rng.choice(gazetteer.names)}增长{rng.randint(1, 9)}{unit}—{rng.randint(10, 20)}{unit}。")
        suffix = rng.choice([".txt", ".md", ".html"])
        text = ("<p>" if suffix == ".html" else "\n").join(lines)
        contents[str(tmp_path / f"{i:04d}{suffix}")] = text.encode(rng.choice(["utf-8", "gb18030", "utf-16"]))
    expected = reference_parse_documents(contents, gazetteer, LOADED_AT)
    assert expected["document_claims"]["value_high"].notna().any()
    assert_same_tables(parse_documents(contents, gazetteer, LOADED_AT), expected)
    for name, data in list(contents.items())[:60]:
        one = {name: data}
        expected = reference_parse_documents(one, gazetteer, LOADED_AT)
        assert_same_tables(parse_documents(one, gazetteer, LOADED_AT), expected)
