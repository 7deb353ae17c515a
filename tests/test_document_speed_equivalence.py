"""The faster document code gives what the straightforward code gave.

Claims are read from one scan of each paragraph, cleaning tests only the characters and lines that
can change, metadata patterns are tried only near their anchors, and place look-ups answer the quick
cases inline. Each test below compares one of these with a plain reference (the code as it was before,
sentence by sentence and line by line) on synthetic documents, hand-written edge cases and random
texts built from the characters that matter. Behaviour only: nothing here is timed.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict
from decimal import Decimal

import pytest

from benchmarks.generate_documents import generate
from orchestration.config import DBT_PROJECT_DIR
from orchestration.documents import claims as claims_lib
from orchestration.documents import cleaning as documents_lib
from orchestration.documents.claims import (
    _CLAUSE_BREAK,
    _INHERITS_SUBJECT,
    _MULTIPLIER,
    _QUANTITY,
    _SENTENCE,
    FALLBACK_METRIC,
    METRICS,
    QUALIFIERS,
    TRAILING_QUALIFIERS,
    UNIT_KINDS,
    extract_claims,
    normalise_years,
)
from orchestration.documents.cleaning import (
    BOILERPLATE,
    CJK,
    CleanedText,
    clean_text,
    extract_metadata,
    html_to_text,
    normalise,
)
from orchestration.documents.places import _CJK_CHAR, _SAFE_FOLLOWERS, Mention, load_gazetteer
from orchestration.raw_files.decoding import decode


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(DBT_PROJECT_DIR / "seeds")


# ---------------------------------------------------------------------------------------------
# References: the code before it was made faster


def reference_find(gazetteer, text: str) -> list[Mention]:
    mentions = []
    for index, start, end in gazetteer._automaton.find_matches_as_indexes(text):
        name = gazetteer.names[index]
        if len(name) == 2:
            following = text[end : end + 1]
            if following and following not in _SAFE_FOLLOWERS and _CJK_CHAR.match(following):
                before = max(0, start - 2)
                window, offset, position = text[before : end + 3], start - before, 0
                keeps = False
                for token in gazetteer._tokenizer.cut(window, HMM=False):
                    if position == offset:
                        keeps = len(token) == end - start
                        break
                    position += len(token)
                    if position > offset:
                        break
                if not keeps:
                    continue
        mentions.append(Mention(start, end, gazetteer.by_name[name]))
    return mentions


def reference_claims(paragraphs: list[str], gazetteer) -> tuple[list[dict], list[tuple]]:
    claims, mentions = [], []
    for p_index, paragraph in enumerate(paragraphs):
        text = normalise_years(paragraph)
        found = reference_find(gazetteer, text)
        mentions.extend((p_index, m.start, m.end, m.place) for m in found)
        for s_index, sentence in enumerate(_SENTENCE.finditer(text)):
            claims.extend(_reference_sentence(p_index, s_index, sentence, found, paragraph))
    return claims, mentions


def _reference_sentence(p_index, s_index, sentence, mentions, original):
    text = sentence.group()
    if not _QUANTITY.search(text):
        return
    start, end = sentence.span()
    in_sentence = [m for m in mentions if start <= m.start and m.end <= end]
    previous, previous_end = None, 0
    for match in _QUANTITY.finditer(text):
        if text[match.end() : match.end() + 1] in ("年", "月", "日", "号"):
            continue
        unit_kind = UNIT_KINDS.get(match["unit"], "count")
        clause_start = max((b.end() for b in _CLAUSE_BREAK.finditer(text, 0, match.start())), default=0)
        clause = text[clause_start : match.start()]
        value = float(Decimal(match["num"].replace(",", "")) * _MULTIPLIER[match["mult"]])
        high = float(Decimal(match["high"]) * _MULTIPLIER[match["mult"]]) if match["high"] else None
        metric = next((name for name, kinds, words in METRICS if unit_kind in kinds and words.search(clause)), None)
        if metric is None:
            same_kind = previous and FALLBACK_METRIC.get(unit_kind) and previous["unit"] == unit_kind
            metric = previous["metric"] if same_kind else FALLBACK_METRIC[unit_kind]
        after = text[match.end() : match.end() + 2]
        qualifier = ",".join(
            [q for q in QUALIFIERS if q in clause[-8:]] + [q for q in TRAILING_QUALIFIERS if after.startswith(q)]
        )
        if match["more"] or match["more2"]:
            qualifier = ",".join(filter(None, [qualifier, "多"]))
        sign = -1 if match["sign"] or (metric == "growth" and re.search(r"下降|回落", clause[-6:])) else 1
        scope_start = max(clause_start, previous_end - start if previous_end > start else 0)
        scope = text[scope_start : match.start()]
        before = [m for m in in_sentence if m.end <= start + match.start()]
        in_scope = [m for m in before if m.start >= start + scope_start]
        entity = in_scope[-1] if in_scope else before[-1] if before and _INHERITS_SUBJECT.match(scope.strip()) else None
        denominator = entity is not None and entity.place.entity_type == "nation" and metric == "share"
        if denominator and len(before) > 1 and text[entity.start - start - 1 : entity.start - start] == "占":
            entity = before[-2]
        years = _reference_years(clause) or _reference_years(text[: match.start()])
        year = years or (previous["year"] if previous else None)
        previous = {
            "paragraph_index": p_index,
            "sentence_index": s_index,
            "metric": metric,
            "value": sign * value,
            "value_high": sign * high if high is not None else None,
            "unit": unit_kind,
            "original_text": match.group(),
            "year": year,
            "entity_type": entity.place.entity_type if entity else None,
            "entity_code": entity.place.entity_code if entity else None,
            "entity_name": entity.place.canonical_name if entity else None,
            "qualifier": qualifier or None,
            "sentence": original[start:end].strip(),
        }
        previous_end = start + match.end()
        yield previous


def _reference_years(text: str) -> int | None:
    years = re.findall(r"((?:19|20)\d{2})年", text)
    return int(years[-1]) if years else None


_NORMALISE_TABLE = {
    **{c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c - 0xFEE0).isalnum()},
    **{0x00A0: " ", 0x3000: " ", 0x2002: " ", 0x2003: " ", 0x200B: ""},
    **{0xFF05: "%", 0xFF0B: "+", 0xFF0D: "-", 0x2212: "-"},
}
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


def reference_normalise(text: str) -> str:
    text = text.translate(_NORMALISE_TABLE)
    text = re.sub(r"(?<=\d)．(?=\d)", ".", text)
    text = re.sub(
        rf"(?<=[{CJK}])([,;:?!])|([,;:?!])(?=[{CJK}“”])", lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], text
    )
    text = re.sub(rf"(?<=[{CJK}”」）)])\.(?=[{CJK}“「（(\s]|$)", "。", text, flags=re.MULTILINE)
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------
# Random texts from the pieces that matter

PIECES = [
    *"。！？!?，,、：:；;  \t-−—–~～至到.+aAyY年月日号元人名个家座艘台项吨多余的和市省路山了电者（）()“”「」",
    *[
        "亿元",
        "万亿元",
        "万元",
        "千",
        "万",
        "亿",
        "%",
        "％",
        "个百分点",
        "人次",
        "公里",
        "千米",
        "标箱",
        "左右",
        "以上",
    ],
    *["预计", "约", "超过", "超", "逾", "近", "下降", "增长", "回落", "占比", "比重", "GDP", "gdp", "地区生产总值"],
    *["经济总量", "投资", "人口", "同比", "达到", "其中", "为", "占", "则", "仍", "较", "二〇一九", "二零二〇"],
    *["2019年", "2020年", "1999年", "2035年", "12", "3.5", "1,200", "1,2345", "0.5", "100", "7", "１２", "．"],
    *["\u3000", "\u00a0", "\u200b", "记者", "日电", "3月5日电", "12月31日电", "新华社武汉", "通讯员", "讲话"],
    *["点击数：", "浏览次数 12", "发布时间：", "2021-5-3 10:20", "版权所有", "Copyright", "COPYRIGHT", "©", "ICP备"],
    *["首页 > ", "当前位置：", "上一篇", "责任编辑：", "来源：", "作者：", "# ", "一、", "（一）", "\r\n", "\n"],
]


def random_text(rng: random.Random, names: list[str], pieces: int) -> str:
    parts = []
    for _ in range(pieces):
        roll = rng.random()
        parts.append(rng.choice(names) if roll < 0.25 else str(rng.randint(0, 99999)) if roll < 0.35 else None)
        if parts[-1] is None:
            parts[-1] = rng.choice(PIECES)
    return "".join(parts)


def as_rows(claims, mentions):
    return [asdict(c) for c in claims], [(p, m.start, m.end, m.place) for p, m in mentions]


# ---------------------------------------------------------------------------------------------
# Claims and mentions


EDGE_PARAGRAPHS = [
    "2020年，上海市地区生产总值为38700.58亿元，比上年增长1.7%。",
    "。。5%的增长！-3%的回落？武汉市GDP约1.2万亿元左右，增长9%以上。",
    "长沙市2019年达到22.13%；2020年仍然达到21.87%。南昌路上有115家企业",
    "二〇一九年，合肥市常住人口约936.99万人，旅客吞吐量5200万人次，港口集装箱吞吐量300多万标箱。",
    "投资3000亿—4000亿元，占全国比重约10%至12%，里程1,234.5公里。下降0.5个百分点",
    "成都2020年GDP 17716.7亿元,增长4%,重庆2.5万亿元。南京、无锡、常州分别为1.48万亿元、1.24万亿元、7805亿元",
    "第3年12月5日电5家2019年度10%",
    "他说：超过100万人，逾20座城市，近50艘船，1.5万余人，3千多名。",
    "",
    "没有数字的段落，只有武汉和长沙。",
]


def test_claims_and_mentions_on_edge_cases(gazetteer):
    for paragraph in EDGE_PARAGRAPHS:
        assert as_rows(*extract_claims([paragraph], gazetteer)) == reference_claims([paragraph], gazetteer)


def test_claims_and_mentions_on_synthetic_documents(gazetteer, tmp_path):
    paths = generate(tmp_path, 120, seed=7)
    compared = 0
    for path in paths:
        text, _ = decode(path.read_bytes())
        paragraphs = clean_text(text, html=path.suffix == ".html").paragraphs
        expected = reference_claims(paragraphs, gazetteer)
        assert as_rows(*extract_claims(paragraphs, gazetteer)) == expected, path.name
        compared += len(expected[0])
    assert compared > 2000


def test_claims_and_mentions_on_random_paragraphs(gazetteer):
    rng = random.Random(11)
    compared = 0
    for _ in range(1500):
        paragraphs = [random_text(rng, gazetteer.names, rng.randint(1, 40)) for _ in range(rng.randint(1, 3))]
        expected = reference_claims(paragraphs, gazetteer)
        assert as_rows(*extract_claims(paragraphs, gazetteer)) == expected, paragraphs
        compared += len(expected[0])
    assert compared > 500


def test_values_are_the_decimal_products():
    rng = random.Random(5)
    digits = "0123456789٠١٢٣٤٥٦٧٨٩"
    for _ in range(20000):
        number = "".join(rng.choice(digits[:10] if rng.random() < 0.9 else digits) for _ in range(rng.randint(1, 22)))
        if rng.random() < 0.6:
            number += "." + "".join(rng.choice(digits[:10]) for _ in range(rng.randint(1, 8)))
        for mult, factor in _MULTIPLIER.items():
            assert claims_lib._value(number, mult) == float(Decimal(number) * factor), (number, mult)


# ---------------------------------------------------------------------------------------------
# Cleaning and metadata


def test_normalise_matches_the_table_and_the_plain_patterns():
    rng = random.Random(3)
    extra = ["．", "5．5", "，", "。.", "”.", "）.", "中.“", "中. ", "中.\n", "中,a", "a,中", "a,“", "０ｚ＋－−％"]
    for _ in range(5000):
        text = "".join(rng.choice(PIECES + extra) for _ in range(rng.randint(0, 30)))
        assert normalise(text) == reference_normalise(text), repr(text)


def test_boilerplate_kind_is_the_first_pattern_found():
    rng = random.Random(4)
    lines = ["Copyright 2020", "ｃopyright", "本站版权所有", "沪ICP备123号", "首页 > 新闻", "点击数：12"]
    lines += ["责任编辑：王伟", "(责任编辑：李)", "来源：新华社", "作者：张三", "文：李四", "上一篇：x", "正文，没有"]
    for _ in range(5000):
        line = rng.choice(lines) + "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6)))
        line = line if rng.random() < 0.5 else "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4))) + line
        expected = next((kind for kind, pattern in BOILERPLATE if pattern.search(line)), None)
        assert documents_lib._boilerplate_kind(line) == expected, line


@pytest.mark.parametrize(
    "pattern, needle, reach",
    [
        (documents_lib._DATELINE, "日电", documents_lib._DATELINE_REACH),
        (documents_lib._REPORTER, "记者", documents_lib._REPORTER_REACH),
    ],
    ids=["dateline", "reporter"],
)
def test_patterns_tried_near_their_anchor_find_what_a_full_scan_finds(pattern, needle, reach):
    rng = random.Random(6)
    alphabet = [*"新华社武汉上海记者日电月123 ，王伟\na", "日电", "记者", "3月5日电", "12月31日电", "人民网"]
    found = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert [(m.span(), m.groups()) for m in documents_lib._matches_near(pattern, text, needle, reach)] == expected
        found += len(expected)
    assert found > 1000


def test_cleaning_and_metadata_on_random_documents(gazetteer):
    rng = random.Random(8)
    for _ in range(1500):
        lines = [random_text(rng, gazetteer.names, rng.randint(0, 25)) for _ in range(rng.randint(1, 8))]
        for html in (False, True):
            text = "<p>".join(lines) if html else rng.choice(["\n", "\r\n", "\r"]).join(lines)
            cleaned = clean_text(text, html=html)
            reference = clean_text_reference(text, html)
            assert asdict(cleaned) == asdict(reference), repr(text)
            if cleaned.paragraphs:
                try:
                    meta = asdict(extract_metadata(cleaned, gazetteer.name_set, html, {2019}))
                except ValueError as error:  # an impossible dateline day, as before
                    meta = repr(error)
                assert meta == metadata_reference(reference, gazetteer.name_set, html, {2019}), repr(text)


def clean_text_reference(text: str, html: bool) -> CleanedText:
    """clean_text as it was: every line through every pattern, no guards."""
    html_title, chrome = None, []
    if html:
        text, html_title, chrome = html_to_text(text)
    lines = [line.strip() for line in reference_normalise(text).split("\n")]
    lines = [re.sub(r"[ \t]{2,}", " ", line) for line in lines if line]
    kept, glued_title, page_time = [], None, None
    boilerplate = [("page_chrome", " / ".join(chrome))] if chrome else []
    for line in lines:
        if counter := documents_lib._TRAILING_COUNTER.search(line):
            boilerplate.append(("click_counter", counter.group().strip()))
            line = line[: counter.start()].strip()
            if not line:
                continue
        kind = next((k for k, pattern in BOILERPLATE if pattern.search(line)), None)
        if kind:
            boilerplate.append((kind, line))
            continue
        if page_time is None and (glued := documents_lib._GLUED_TIME.match(line)):
            glued_title = glued.group("title").strip()
            page_time = documents_lib._parse_timestamp(glued.group("ts"))
            line = glued_title
        kept.append(line)
    distinct = list(dict.fromkeys(kept))
    joined, rejoined = documents_lib._rejoin(distinct, title=glued_title)
    paragraphs: list[str] = []
    for paragraph in joined:
        if len(paragraph) >= documents_lib.MIN_CONTAINED_REPEAT and any(paragraph in e for e in paragraphs):
            continue
        paragraphs.append(paragraph)
    return CleanedText(
        paragraphs=paragraphs,
        nonempty_lines=len(lines),
        distinct_lines=len(distinct),
        repeated_dropped=len(kept) - len(distinct) + len(joined) - len(paragraphs),
        rejoined=rejoined,
        truncated=bool(kept) and documents_lib._looks_cut(kept[-1]),
        boilerplate=boilerplate,
        glued_title=glued_title,
        page_time=page_time,
        html_title=html_title,
    )


def metadata_reference(cleaned, places, is_html, figure_years):
    """extract_metadata with the dateline and reporter patterns scanned over the whole body."""
    original = documents_lib._matches_near
    documents_lib._matches_near = lambda pattern, text, needle, reach: pattern.finditer(text)
    try:
        return asdict(extract_metadata(cleaned, places, is_html, figure_years))
    except ValueError as error:
        return repr(error)
    finally:
        documents_lib._matches_near = original


def test_fast_quantity_pattern_finds_the_quantities(gazetteer):
    """``_FAST_QUANTITY`` (a character class first, so the engine skips to signs and digits) finds the
    matches of ``_QUANTITY``, with the sign and the number split between its first groups."""
    rng = random.Random(12)
    extra = ["-", "−", "a-5%", "x5元", ".5元", "+5%", "5.5.5%", "1,234,567元", "-1,2345人", "٣٤٥元", "-٣%"]
    found = 0
    for _ in range(20000):
        text = "".join(rng.choice(PIECES + extra) for _ in range(rng.randint(0, 25)))
        expected = [(m.span(), m.groups()) for m in _QUANTITY.finditer(text)]
        actual = []
        for m in claims_lib._FAST_QUANTITY.finditer(text):
            head, signed, rest, *others = m.groups()
            sign, number = (None, head + rest) if signed is None else (head, signed)
            actual.append((m.span(), (sign, number, *others)))
        assert actual == expected, repr(text)
        found += len(expected)
    assert found > 5000


def test_gazetteers_of_the_same_names_share_jieba_and_its_decisions(gazetteer):
    again = load_gazetteer(DBT_PROJECT_DIR / "seeds")
    assert again._tokenizer is gazetteer._tokenizer
    window = "南昌路上有"
    assert again._cut_keeps(window, 0, 2) == gazetteer._cut_keeps(window, 0, 2)
    assert (window, 0, 2) in gazetteer._jieba[1]
