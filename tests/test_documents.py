"""Document cleaning, metadata and claims on the two real source documents (read from ../shared)."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.config import DBT_PROJECT_DIR
from orchestration.documents.claims import extract_claims, normalise_years
from orchestration.documents.cleaning import clean_text, extract_metadata, normalise
from orchestration.documents.corpus import document_id, read_documents
from orchestration.documents.places import load_gazetteer
from orchestration.raw_files.decoding import decode
from tests.conftest import REPO_RAW

NEWS = "000_f18e68dfd89df4a5.txt"
SPEECH_PAGE = "001_f19054c986cf64b6.txt"


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(DBT_PROJECT_DIR / "seeds")


def read(shared_raw: Path, name: str):
    text, _ = decode((shared_raw / "documents" / name).read_bytes())
    return text


def claims_of(paragraphs, gazetteer):
    return extract_claims(paragraphs, gazetteer)[0]


def test_news_article_repeats_broken_sentences_and_truncation(shared_raw, gazetteer):
    cleaned = clean_text(read(shared_raw, NEWS))
    assert cleaned.nonempty_lines == 177
    assert cleaned.distinct_lines == 34
    # by reading: 4 sentences broken across lines (…预计|2017年GDP…, …要实|现从…, …无疑|将形成…,
    # …特大城市|和城市群…) and 3 repeats that an earlier paragraph already holds whole (the two halves of
    # the 2017年11月3日 paragraph, and the cut-off "和城市群为引领，大" at the end)
    assert cleaned.rejoined == 4
    assert len(cleaned.paragraphs) == 27
    assert cleaned.repeated_dropped == 177 - 27 - 4
    assert any(p.startswith("同样是区域大城市") and "预计2017年GDP达7000亿元" in p for p in cleaned.paragraphs)
    assert cleaned.truncated


def test_news_article_metadata(shared_raw, gazetteer):
    cleaned = clean_text(read(shared_raw, NEWS))
    meta = extract_metadata(cleaned, gazetteer.name_set, is_html=False)
    assert (meta.kind, meta.outlet, meta.author, meta.dateline_place) == ("news", "新华社", "王贤", "武汉")
    assert meta.title == "三大城市群共舞长江巨龙"
    assert (meta.published.day, meta.published.how) == (date(2018, 1, 8), "inferred")


def test_news_article_changsha_claim(shared_raw, gazetteer):
    claims = claims_of(clean_text(read(shared_raw, NEWS)).paragraphs, gazetteer)
    gdp = next(c for c in claims if c.original_text == "10200亿元")
    assert (gdp.metric, gdp.value, gdp.unit, gdp.year, gdp.entity_code, gdp.entity_name) == (
        "gdp",
        1.02e12,
        "yuan",
        2017,
        "430100",
        "长沙市",
    )
    assert "预计" in gdp.qualifier
    growth = next(c for c in claims if c.sentence == gdp.sentence and c.metric == "growth")
    assert (growth.value, growth.unit, growth.year, growth.entity_code) == (9.0, "percent", 2017, "430100")
    passengers = next(c for c in claims if c.original_text == "5200万人次")
    assert (passengers.metric, passengers.value) == ("passengers", 5.2e7)


def test_web_page_boilerplate_title_time_and_speech_date(shared_raw, gazetteer):
    cleaned = clean_text(read(shared_raw, SPEECH_PAGE))
    assert [kind for kind, _ in cleaned.boilerplate] == ["breadcrumb", "click_counter"]
    assert not any("首页" in p or "点击数" in p for p in cleaned.paragraphs)
    assert cleaned.glued_title == "范恒山：中部地区高质量发展与合作建设长江中游城市群"
    assert cleaned.page_time.isoformat(sep=" ") == "2022-02-25 12:30:25"
    meta = extract_metadata(cleaned, gazetteer.name_set, is_html=False)
    assert (meta.kind, meta.carrier, meta.author) == ("speech", "web_page", "范恒山")
    assert meta.title == "中部地区高质量发展与合作建设长江中游城市群"
    occasion = [d for d in meta.dates if d.role == "occasion"]
    assert [(d.day, d.how) for d in occasion] == [(date(2021, 5, 23), "stated")]
    # the text says 2022年4月 for a document of April 2021: later than the page itself
    suspect = [d for d in meta.dates if d.suspect]
    assert [(d.day, d.precision) for d in suspect] == [(date(2022, 4, 1), "month")]


def test_web_page_central_region_share_and_provincial_growth(shared_raw, gazetteer):
    claims = claims_of(clean_text(read(shared_raw, SPEECH_PAGE)).paragraphs, gazetteer)
    shares = [(c.year, c.value) for c in claims if c.metric == "share" and c.entity_code == "central"]
    assert shares == [(2006, 19.73), (2012, 21.64), (2019, 22.13), (2020, 21.87)]
    growth_2020 = {
        c.entity_name: c.value
        for c in claims
        if c.metric == "growth" and c.year == 2020 and c.entity_type == "province" and c.value_high is None
    }
    assert growth_2020 == {"湖北省": -5.0, "河南省": 1.3, "湖南省": 3.8, "安徽省": 3.9, "江西省": 3.8, "山西省": 3.6}


def test_normalisation_keeps_chinese_punctuation():
    assert normalise("２０１８年ＧＤＰ增长，约８％。") == "2018年GDP增长，约8%。"
    assert normalise("武汉,长沙:南昌.下一句") == "武汉，长沙：南昌。下一句"
    assert normalise("3.5亿元,1,000人") == "3.5亿元，1,000人"
    assert normalise_years("二〇一七年") == "2017年"


def test_the_same_text_in_two_encodings_is_one_document():
    text = "长三角城市群。\n第二段，武汉。\n"
    assert document_id(text) == document_id(("\ufeff" + text).lstrip("\ufeff").replace("\n", "\r\n"))


def test_bundled_documents_cover_every_quirk(gazetteer):
    tables = read_documents((REPO_RAW / "documents",), gazetteer, loaded_at=None)
    files = tables["document_files"].set_index(tables["document_files"].source_file.map(lambda p: Path(p).name))
    assert files.loc["speech_cy_gbk.txt", "encoding"] == "gb18030"
    assert files.loc["bulletin_summary_utf16.txt", "encoding"] == "utf-16"
    assert files.loc["duplicate_of_news.txt", "document_id"] == files.loc["news_yrd_2021.txt", "document_id"]
    assert set(files.status) == {"parsed"}
    docs = tables["documents"].set_index(tables["documents"].source_file.map(lambda p: Path(p).name))
    page = docs.loc["web_page_myr.html"]
    assert (page.title, page.carrier, str(page.page_time)) == ("长江中游城市群观察", "web_page", "2022-03-01 09:15:00")
    assert "breadcrumb" in page.boilerplate_removed and "click_counter" in page.boilerplate_removed
    assert docs.loc["truncated_report.md", "is_truncated"]
    news = docs.loc["duplicate_of_news.txt"]
    assert (news.dateline_place, news.published_how) == ("上海", "inferred")
    assert news.repeated_paragraphs_dropped > 0 and news.sentences_rejoined >= 1


def test_document_files_lists_what_a_recursive_glob_lists_and_each_link_unfollowed(tmp_path):
    from orchestration.documents.corpus import document_files

    root = tmp_path / "documents"
    for name in [
        "b.txt",
        "a.md",
        "sub/c.html",
        "sub/deeper/d.txt",
        "sub-x/e.txt",
        ".hidden.txt",
        "README.md",
        "readme",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    (root / "linked").symlink_to(root / "sub", target_is_directory=True)
    (root / "f.txt").symlink_to(root / "b.txt")
    links = {root / "linked", root / "f.txt"}  # listed as themselves, for their reader to refuse
    expected = [
        path
        for path in sorted(root.rglob("*"))
        if (path.is_file() or path in links)
        and not path.name.startswith(".")
        and not path.stem.upper().startswith("README")
    ]
    listed = [Path(path) for path in document_files((root,))]
    assert listed == expected
    assert [p.relative_to(root).as_posix() for p in listed] == [
        "a.md",
        "b.txt",
        "f.txt",
        "linked",
        "sub/c.html",
        "sub/deeper/d.txt",
        "sub-x/e.txt",
    ]
