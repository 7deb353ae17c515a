"""Document cleaning, metadata, places and claims on the quirks of real documents, written out, and
properties of the faster code that need nothing but the code itself.

Claims are read from one scan of each paragraph, cleaning tests only the characters and lines that can
change, metadata patterns are tried only near their anchors and place look-ups answer the quick cases
inline: each literal test below is one kind of sentence, line or page with what it gives, and the
properties check that a paragraph reads as its sentences read one by one, that a pattern tried near its
anchor finds what a full scan finds, and that a figure is the exact decimal product.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.config import DBT_PROJECT_DIR
from orchestration.documents import cleaning
from orchestration.documents.claims import _FAST_QUANTITY, _QUANTITY, _SENTENCE, claim_rows, extract_claims
from orchestration.documents.cleaning import BOILERPLATE, clean_text, extract_metadata, normalise
from orchestration.documents.places import load_gazetteer
from orchestration.statistics.value_cells import read_value

EXAMPLES = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer(DBT_PROJECT_DIR / "seeds")


def claims_of(paragraphs: list[str], gazetteer) -> list[tuple]:
    """(sentence, metric, value, high, unit, original text, year, place code, qualifier) of each claim."""
    claims, _ = extract_claims(paragraphs, gazetteer)
    return [
        (c.sentence_index, c.metric, c.value, c.value_high, c.unit, c.original_text, c.year, c.entity_code, c.qualifier)
        for c in claims
    ]


def mentions_of(text: str, gazetteer) -> list[tuple]:
    return [(m.start, m.end, text[m.start : m.end], m.place.entity_code) for m in gazetteer.find(text)]


# ---------------------------------------------------------------------------------------------
# Claims


@pytest.mark.parametrize(
    ("paragraph", "claims"),
    [
        (
            "2020年，上海市地区生产总值为38700.58亿元，比上年增长1.7%。",
            [
                (0, "gdp", 3870058000000.0, None, "yuan", "38700.58亿元", 2020, "310000", None),
                (0, "growth", 1.7, None, "percent", "1.7%", 2020, "310000", "增长"),  # 比上年… keeps 上海市
            ],
        ),
        (
            "。。5%的增长！-3%的回落？武汉市GDP约1.2万亿元左右，增长9%以上。",
            [
                (0, "percent", 5.0, None, "percent", "5%", None, None, None),  # the words after it name nothing
                (1, "percent", -3.0, None, "percent", "-3%", None, None, None),
                (2, "gdp", 1200000000000.0, None, "yuan", "1.2万亿元", None, "420100", "约,左右"),
                (2, "growth", 9.0, None, "percent", "9%", None, "420100", "增长,以上"),
            ],
        ),
        (
            "长沙市2019年达到22.13%；2020年仍然达到21.87%。南昌路上有115家企业",
            [
                (0, "percent", 22.13, None, "percent", "22.13%", 2019, "430100", None),
                # a semicolon joins clauses of one sentence: the clause after it, with no subject of its own, keeps
                # the sentence's place
                (0, "percent", 21.87, None, "percent", "21.87%", 2020, "430100", None),
                (1, "count", 115.0, None, "count", "115家", None, None, None),  # 南昌路 is a street: see the mentions
            ],
        ),
        (
            "二〇一九年，合肥市常住人口约936.99万人，旅客吞吐量5200万人次，港口集装箱吞吐量300多万标箱。",
            [
                (0, "population", 9369900.0, None, "persons", "936.99万人", 2019, "340100", "约"),
                (0, "passengers", 52000000.0, None, "person_times", "5200万人次", 2019, None, None),
                (0, "containers", 3000000.0, None, "teu", "300多万标箱", 2019, None, "多"),
            ],
        ),
        (
            "投资3000亿—4000亿元，占全国比重约10%至12%，里程1,234.5公里。下降0.5个百分点",
            [
                # 亿 on both ends of a range, the unit only after its high end
                (0, "investment", 300000000000.0, 400000000000.0, "yuan", "3000亿—4000亿元", None, None, None),
                (0, "share", 10.0, 12.0, "percent", "10%至12%", None, None, "约"),  # 全国 after 占: not the subject
                (0, "length", 1234.5, None, "km", "1,234.5公里", None, None, None),
                (1, "growth", -0.5, None, "percentage_points", "0.5个百分点", None, None, "下降"),
            ],
        ),
        (
            "成都2020年GDP 17716.7亿元,增长4%,重庆2.5万亿元。南京、无锡、常州分别为1.48万亿元、1.24万亿元、7805亿元",
            [
                (0, "gdp", 1771670000000.0, None, "yuan", "17716.7亿元", 2020, "510100", None),
                (0, "growth", 4.0, None, "percent", "4%", 2020, "510100", "增长"),
                (0, "money", 2500000000000.0, None, "yuan", "2.5万亿元", 2020, "500000", None),
                # 分别: the i-th figure is the i-th place's
                (1, "money", 1480000000000.0, None, "yuan", "1.48万亿元", None, "320100", None),
                (1, "money", 1240000000000.0, None, "yuan", "1.24万亿元", None, "320200", None),
                (1, "money", 780500000000.0, None, "yuan", "7805亿元", None, "320400", None),
            ],
        ),
        (
            "第3年12月5日电5家2019年度10%",  # a number before 年, 月, 日 or 号 is a date, not a quantity
            [
                (0, "count", 5.0, None, "count", "5家", None, None, None),
                (0, "percent", 10.0, None, "percent", "10%", 2019, None, None),
            ],
        ),
        (
            "他说：超过100万人，逾20座城市，近50艘船，1.5万余人，3千多名。",
            [
                (0, "people", 1000000.0, None, "persons", "100万人", None, None, "超过"),  # not 超过,超
                (0, "count", 20.0, None, "count", "20座", None, None, "逾"),
                (0, "count", 50.0, None, "count", "50艘", None, None, "近"),
                (0, "people", 15000.0, None, "persons", "1.5万余人", None, None, "多"),
                (0, "people", 3000.0, None, "persons", "3千多名", None, None, "多"),
            ],
        ),
        (
            "武汉市GDP为20363.19亿元，增长7.8%。长沙市增长8.1%，南昌市下降2%。",
            [
                (0, "gdp", 2036319000000.0, None, "yuan", "20363.19亿元", None, "420100", None),
                (0, "growth", 7.8, None, "percent", "7.8%", None, "420100", "增长"),
                (1, "growth", 8.1, None, "percent", "8.1%", None, "430100", "增长"),
                (1, "growth", -2.0, None, "percent", "2%", None, "360100", "下降"),
            ],
        ),
        (
            "中部地区生产总值占全国的比重为22.13%。占全国比重约10%。",
            [
                (0, "share", 22.13, None, "percent", "22.13%", None, "central", None),  # 全国 after 占: the denominator
                (1, "share", 10.0, None, "percent", "10%", None, None, "约"),  # no other place: no subject, not 全国
            ],
        ),
        (
            "٣٤٥元，12345678901234567890.12亿元，1,234,567元。",
            [
                (0, "money", 345.0, None, "yuan", "٣٤٥元", None, None, None),  # Arabic-Indic digits
                (0, "money", 1.2345678901234569e27, None, "yuan", "12345678901234567890.12亿元", None, None, None),
                (0, "money", 1234567.0, None, "yuan", "1,234,567元", None, None, None),
            ],
        ),
        (
            "2017年长沙、株洲、湘潭三市地区生产总值合计约1.5万亿元。",
            [(0, "gdp", 1.5e12, None, "yuan", "1.5万亿元", 2017, None, "约")],  # three cities together: not 湘潭's
        ),
        (
            "2019年，南京、无锡、常州地区生产总值分别为14030.15亿元、11852.32亿元、7400.86亿元。",
            [  # 分别: the i-th figure is the i-th place's
                (0, "gdp", 1403015000000.0, None, "yuan", "14030.15亿元", 2019, "320100", None),
                (0, "gdp", 1185232000000.0, None, "yuan", "11852.32亿元", 2019, "320200", None),
                (0, "gdp", 740086000000.0, None, "yuan", "7400.86亿元", 2019, "320400", None),
            ],
        ),
        (
            "2019年，长沙市地区生产总值11574.22亿元；2020年为12142.52亿元。",
            [  # the clause after ； has no subject of its own: the sentence's
                (0, "gdp", 1157422000000.0, None, "yuan", "11574.22亿元", 2019, "430100", None),
                (0, "gdp", 1214252000000.0, None, "yuan", "12142.52亿元", 2020, "430100", None),
            ],
        ),
        ("", []),
        ("没有数字的段落，只有武汉和长沙。", []),
    ],
)
def test_claims_of_a_paragraph(gazetteer, paragraph, claims):
    assert claims_of([paragraph], gazetteer) == claims


def scopes_of(paragraphs: list[str], gazetteer) -> list[tuple]:
    """(original text, scope kind, indicator, threshold, scope code, claimed rank) of each claim."""
    claims, _ = extract_claims(paragraphs, gazetteer)
    return [
        (c.original_text, c.scope_kind, c.scope_indicator, c.scope_threshold, c.scope_code, c.claimed_rank)
        for c in claims
    ]


@pytest.mark.parametrize(
    ("paragraph", "scopes"),
    [
        (  # what a count counts is in the words right after it
            "三大城市群有5个城市常住人口超千万，9个城市GDP超万亿元，另有20个城市。",
            [
                ("5个", "count", "population", 1e7, None, None),
                ("9个", "count", "gdp", 1e12, None, None),
                ("20个", None, None, None, None, None),
            ],
        ),
        (
            "长江中游有5座万亿城市、3座千万人口城市。",
            [
                ("5座", "count", "gdp", 1e12, None, None),
                ("3座", "count", "population", 1e7, None, None),
            ],
        ),
        (  # a city's GDP in a sentence that ranks it; the growth beside it is no rank claim
            "2017年长沙市地区生产总值突破10000亿元，增长9%，成为中部第二个突破万亿元大关的城市。",
            [
                ("10000亿元", "rank", "gdp", 1e12, "central", 2),
                ("9%", None, None, None, None, None),
            ],
        ),
        ("苏州市GDP为20000亿元，是东部地区第十二个迈入万亿的城市。", [("20000亿元", "rank", "gdp", 1e12, "east", 12)]),
        (  # a scope's GDP or population is an aggregate, its share of national GDP a share
            "长株潭三市地区生产总值约1.5万亿元，中部地区生产总值占全国的比重为22.13%，武汉市GDP为1.5万亿元。",
            [
                ("1.5万亿元", "aggregate", "gdp", None, "changzhutan", None),
                ("22.13%", "share", "gdp", None, "central", None),
                ("1.5万亿元", None, None, None, None, None),
            ],
        ),
    ],
)
def test_claims_about_several_places_say_their_kind(gazetteer, paragraph, scopes):
    assert scopes_of([paragraph], gazetteer) == scopes


def test_a_claim_without_a_year_speaks_of_the_latest_year_of_its_paragraph(gazetteer):
    claims, _ = extract_claims(
        ["增长5%。2016年，GDP为100亿元。2017年，GDP为120亿元；人口为500万人。常住人口为800万人。", "增长3%。"],
        gazetteer,
    )
    assert [(c.original_text, c.year, c.claim_year, c.year_basis) for c in claims] == [
        ("5%", None, None, None),
        ("100亿元", 2016, 2016, "stated"),
        ("120亿元", 2017, 2017, "stated"),
        ("500万人", 2017, 2017, "stated"),  # the year of the sentence's claim before it: stated
        ("800万人", None, 2017, "paragraph"),
        ("3%", None, None, None),  # a paragraph inherits no year from the one before
    ]


def test_a_claim_quotes_its_sentence_and_a_paragraph_inherits_nothing_from_the_one_before(gazetteer):
    claims, _ = extract_claims(["2020年，上海市GDP为38700.58亿元。", "增长1.7%。"], gazetteer)
    assert [(c.paragraph_index, c.year, c.entity_code, c.sentence) for c in claims] == [
        (0, 2020, "310000", "2020年，上海市GDP为38700.58亿元。"),
        (1, None, None, "增长1.7%。"),
    ]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("长江三角洲城市群发展", [(0, 8, "长江三角洲城市群", "yrd")]),  # the longest name wins
        ("长三角一体化", [(0, 3, "长三角", "yrd")]),
        ("长沙市和长沙", [(0, 3, "长沙市", "430100"), (4, 6, "长沙", "430100")]),
        ("湖北省武汉市", [(0, 3, "湖北省", "420000"), (3, 6, "武汉市", "420100")]),
        ("武汉，长沙", [(0, 2, "武汉", "420100"), (3, 5, "长沙", "430100")]),  # a safe follower: no jieba
        ("中部地区占全国的比重", [(0, 4, "中部地区", "central"), (5, 7, "全国", "100000")]),
        ("武汉大学", []),  # jieba cuts 武汉大学 as one word
        ("南京路步行街", []),
        ("南昌路上有115家企业", []),  # a street, though jieba cuts 南昌/路上
        ("天门山和天门市", [(4, 7, "天门市", "429006")]),  # 天门山 is a mountain (in 张家界), not 天门
        ("武汉山东", [(0, 2, "武汉", "420100"), (2, 4, "山东", "370000")]),  # 山东 is a province, not a 武汉山
        ("没有地名", []),
    ],
)
def test_places_a_text_mentions(gazetteer, text, mentions):
    assert mentions_of(text, gazetteer) == mentions


def test_gazetteers_of_the_same_names_share_jieba_and_its_decisions(gazetteer):
    again = load_gazetteer(DBT_PROJECT_DIR / "seeds")
    assert again._tokenizer is gazetteer._tokenizer
    window = "南昌路上有"
    assert again._cut_keeps(window, 0, 2) == gazetteer._cut_keeps(window, 0, 2)
    assert (window, 0, 2) in gazetteer._jieba[1]


# Random paragraphs from the pieces that matter to claims
PLACES = ["上海市", "上海", "武汉", "武汉市", "长沙", "南昌", "南京", "全国", "长三角", "中部地区", "湖北省", "重庆"]
PIECES = [
    *"。！？!?，,、：:；;  -−—–~～至到.+aAyY年月日号元人名个家座艘台项吨多余的和市省路山了（）()“”",
    *"亿元 万亿元 万元 千 万 亿 % ％ 个百分点 人次 公里 千米 标箱 左右 以上".split(),
    *"预计 约 超过 超 逾 近 下降 增长 回落 占比 比重 GDP 地区生产总值 经济总量".split(),
    *"投资 人口 同比 达到 其中 为 占 则 仍 较 二〇一九 2019年 2020年 1999年".split(),
    *"12 3.5 1,200 1,2345 0.5 100 7 ١٢ -5 −3 x5 .5 5.5.5".split(),
]
QUANTITIES = st.tuples(
    st.sampled_from(["", "", "-", "−"]),
    st.sampled_from(["12", "3.5", "1,200", "0.5", "2019", "١٢"]),
    st.sampled_from(["", "", "千", "万", "亿", "万亿", "多", "余"]),
    st.sampled_from(["元", "%", "万人", "人次", "个百分点", "公里", "家", "标箱", "%—5%", "元至3元", "年"]),
).map("".join)
# sentences of a few pieces, most with a quantity, ended by a terminator (or by the paragraph's end)
SENTENCES = st.tuples(
    st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(PLACES), QUANTITIES), max_size=8),
    st.sampled_from(list("。。！？!?") + [""]),
).map(lambda sentence: "".join(sentence[0]) + sentence[1])
PARAGRAPHS = st.lists(SENTENCES, max_size=5).map("".join)


@EXAMPLES
@given(paragraph=PARAGRAPHS)
def test_a_paragraph_reads_as_its_sentences_read_one_by_one(gazetteer, paragraph):
    """One scan of a paragraph gives each sentence the claims it has when read on its own (the places
    too, unless jieba, which looks two characters beyond a short name, sees the sentence's neighbour)."""
    claims, mentions = claim_rows([paragraph], gazetteer)
    for index, (start, end) in enumerate(m.span() for m in _SENTENCE.finditer(paragraph)):
        alone, alone_mentions = claim_rows([paragraph[start:end]], gazetteer)
        here = [claim for claim in claims if claim[1] == index]
        # (metric, value, high, unit, original text, year): all but the place
        assert [claim[2:8] for claim in here] == [claim[2:8] for claim in alone]
        in_sentence = [(s - start, e - start, place) for _, s, e, place in mentions if start <= s and e <= end]
        if in_sentence == [(s, e, place) for _, s, e, place in alone_mentions]:
            # all but the year of the paragraph (claim_year, year_basis: an earlier sentence's)
            assert [claim[2:-2] for claim in here] == [claim[2:-2] for claim in alone]


ODD_QUANTITIES = ["a-5%", "x5元", ".5元", "+5%", "5.5.5%", "1,234,567元", "-1,2345人", "٣٤٥元", "-٣%"]
NUMBERS = st.from_regex(r"[0-9٠-٩]{1,22}(\.[0-9]{1,8})?", fullmatch=True)
EXPONENTS = {"": 0, "千": 3, "万": 4, "亿": 8, "万亿": 12}


@EXAMPLES
@given(number=NUMBERS, multiplier=st.sampled_from(sorted(EXPONENTS)))
def test_a_figure_is_its_decimal_product_rounded_once(gazetteer, number, multiplier):
    [claim] = claims_of([f"为{number}{multiplier}元。"], gazetteer)
    assert claim[2] == float(Decimal(number) * Decimal(10) ** EXPONENTS[multiplier])


@EXAMPLES
@given(text=st.lists(st.one_of(st.sampled_from(PIECES + ODD_QUANTITIES), QUANTITIES), max_size=25))
def test_the_fast_quantity_pattern_finds_the_quantities_of_the_plain_one(text):
    """``_FAST_QUANTITY`` starts with a character class so the engine skips to signs and digits; its
    matches are those of ``_QUANTITY``, the sign and number split over its first three groups."""
    text = "".join(text)
    fast = []
    for match in _FAST_QUANTITY.finditer(text):
        head, signed, rest, *others = match.groups()
        fast.append((match.span(), (None, head + rest) if signed is None else (head, signed), others))
    plain = [(m.span(), m.groups()[:2], list(m.groups()[2:])) for m in _QUANTITY.finditer(text)]
    assert fast == plain


# ---------------------------------------------------------------------------------------------
# Normalising and cleaning


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("１２３ＡＢＣｚ", "123ABCz"),  # full-width digits and letters
        ("a\u00a0b\u3000c\u2002d\u2003e\u200bf", "a b c d ef"),  # odd spaces; a zero-width space goes
        ("５０％ ＋３ －２ −１", "50% +3 -2 -1"),
        ("5．5", "5.5"),  # a full-width point between digits
        ("．", "．"),
        ("中．5", "中．5"),
        ("中,a", "中，a"),  # ASCII , ; : ? ! beside Chinese
        ("a,中", "a，中"),
        ("a,“", "a，“"),
        ("a,b", "a,b"),
        ("3.5亿元,1,000人", "3.5亿元，1,000人"),
        ("中;中:中?中!", "中；中：中？中！"),
        ("中.", "中。"),  # a full stop after Chinese, before Chinese, a space or the end
        ("中.“", "中。“"),
        ("中. ", "中。 "),
        ("中.\n", "中。\n"),
        ("”.", "”。"),
        ("）.", "）。"),
        ("中.a", "中.a"),
        ("a.中", "a.中"),
        ("。.", "。."),
        ("，", "，"),  # Chinese punctuation stays
        ("a\r\nb\rc\n", "a\nb\nc\n"),
    ],
)
def test_normalise(text, normalised):
    assert normalise(text) == normalised


@EXAMPLES
@given(text=st.lists(st.sampled_from(PIECES + ["．", "5．5", "中.", "中,a", "\u3000", "\u200b", "\r\n", "０ｚ＋－％"])))
def test_normalise_is_idempotent(text):
    once = normalise("".join(text))
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("首页 > 新闻", "breadcrumb"),
        ("主页/要闻", "breadcrumb"),
        ("首页 > 版权所有", "breadcrumb"),  # the first kind found
        ("当前位置：首页 > 新闻", None),  # 当前位置： must be followed by the arrow itself
        ("首页新闻", None),
        ("点击数：12", "click_counter"),
        ("点击量 12", "click_counter"),
        ("阅读量：", "click_counter"),
        ("浏览次数12", "click_counter"),
        ("上一篇：x", "navigation"),
        ("上一篇 版权所有", "navigation"),
        ("返回顶部", "navigation"),
        ("【打印】", "navigation"),
        ("Copyright 2020", "footer"),
        ("COPYRIGHT", "footer"),
        ("ｃopyright", None),  # full-width: caught once normalised, not before
        ("本站版权所有", "footer"),
        ("沪ICP备123号", "footer"),
        ("© 2020", "footer"),
        ("责任编辑：王伟", "editor"),
        ("(责任编辑：李)", "editor"),
        ("（责任编辑:李)", "editor"),
        ("来源：新华社", "source_line"),
        ("稿源:人民网", "source_line"),
        ("来源：", None),
        ("作者：张三", "author_line"),
        ("文：李四", "author_line"),
        ("本文作者：王五", "author_line"),
        ("正文，没有", None),
        ("Yes", None),
    ],
)
def test_boilerplate_kind_of_a_line(line, kind):
    assert cleaning._boilerplate_kind(line) == kind


LINES = [
    "Copyright 2020",
    "本站版权所有",
    "沪ICP备123号",
    "首页 > 新闻",
    "点击数：12",
    "(责任编辑：李)",
    "来源：新华社",
]
LINES += ["作者：张三", "文：李四", "上一篇：x", "正文，没有", "yY©备版"]


@EXAMPLES
@given(head=st.lists(st.sampled_from(PIECES)), line=st.sampled_from(LINES), tail=st.lists(st.sampled_from(PIECES)))
def test_boilerplate_kind_is_that_of_the_first_pattern_found(head, line, tail):
    """The guards (anchored patterns tried as one, the footer only on a line with one of its characters)
    change nothing: the kind is that of the first of ``BOILERPLATE`` whose pattern is in the line."""
    for text in ("".join(head) + line, line + "".join(tail)):
        found = [kind for kind, pattern in BOILERPLATE if pattern.search(text)]
        assert cleaning._boilerplate_kind(text) == (found[0] if found else None), text


def cleaned_fields(cleaned) -> dict:
    return {k: v for k, v in asdict(cleaned).items() if v not in (None, [], 0, False)}


def test_a_web_page_saved_as_text():
    cleaned = clean_text(
        "首页 > 新闻\r\n"
        "长三角一体化观察  发布时间：2021-5-3 10:20\r\n"
        "上海市经济总量稳居全国城市首位，\r\n"
        "比上年增长1.7%。\r\n"
        "点击数：12\r\n"
        "上海市经济总量稳居全国城市首位，\r\n"
        "责任编辑：王伟\r\n"
        "版权所有 ©2021"
    )
    assert cleaned_fields(cleaned) == {
        "paragraphs": ["长三角一体化观察", "上海市经济总量稳居全国城市首位，比上年增长1.7%。"],
        "nonempty_lines": 8,
        "distinct_lines": 3,
        "repeated_dropped": 1,
        "rejoined": 1,  # a sentence broken across two lines, joined
        "truncated": True,  # the last line kept is the repeat that stops at a comma
        "boilerplate": [
            ("breadcrumb", "首页 > 新闻"),
            ("click_counter", "点击数：12"),
            ("editor", "责任编辑：王伟"),
            ("footer", "版权所有 ©2021"),
        ],
        "glued_title": "长三角一体化观察",  # a title glued to the page's time
        "page_time": datetime(2021, 5, 3, 10, 20),
    }


def test_a_repeat_inside_an_earlier_paragraph_is_dropped_from_eight_characters():
    cleaned = clean_text(
        "这是一个很长的段落，写到了上海。\n一个很长的段落\n这是一个很长的段落\n观察 点击数：3\n结尾没有句号，"
    )
    assert cleaned_fields(cleaned) == {
        "paragraphs": ["这是一个很长的段落，写到了上海。", "一个很长的段落", "观察", "结尾没有句号，"],
        "nonempty_lines": 5,
        "distinct_lines": 5,
        "repeated_dropped": 1,  # 这是一个很长的段落 (9 characters); 一个很长的段落 (7) stays
        "truncated": True,  # the last line stops at a comma (not joined to 观察, a line with no comma)
        "boilerplate": [("click_counter", "点击数：3")],  # a counter at the end of a line of text
    }


def test_an_html_page():
    cleaned = clean_text(
        "<html><head><title>长江中游</title></head><body><nav>首页 > 新闻</nav><div class='menu'>菜单</div>"
        "<p>武汉市GDP达到1.8万亿元。</p><p>第二段&amp;内容\u3000\u3000两个空格</p><footer>版权所有</footer></body></html>",
        html=True,
    )
    assert cleaned_fields(cleaned) == {
        "paragraphs": ["武汉市GDP达到1.8万亿元。", "第二段&内容 两个空格"],
        "nonempty_lines": 2,
        "distinct_lines": 2,
        "boilerplate": [("page_chrome", "首页 > 新闻 / 菜单 / 版权所有")],
        "html_title": "长江中游",
    }


def test_full_width_boilerplate_tabs_and_lone_carriage_returns():
    cleaned = clean_text("ｃopyright 2020\n武汉\t\t市\n正文。\r第二行。")
    assert cleaned.paragraphs == ["武汉 市", "正文。", "第二行。"]
    assert cleaned.boilerplate == [("footer", "copyright 2020")]


# ---------------------------------------------------------------------------------------------
# Metadata


def metadata(gazetteer, text: str, html: bool = False, figure_years: frozenset = frozenset()) -> dict:
    meta = asdict(extract_metadata(clean_text(text, html=html), gazetteer.name_set, html, figure_years))
    published = meta["published"]
    meta["published"] = published and (published["day"], published["how"], published["context"])
    meta["dates"] = [(d["day"], d["role"], d["suspect"]) for d in meta["dates"]]
    return meta


def test_a_dateline_gives_outlet_and_place_and_its_year_is_inferred_from_the_figures(gazetteer):
    text = "长三角观察\n新华社上海3月5日电 记者王伟报道：2020年上海市GDP 3.87万亿元。"
    assert metadata(gazetteer, text) == {
        "title": "长三角观察",
        "kind": "news",
        "carrier": "text",
        "outlet": "新华社",
        "author": None,  # 记者王伟 after a space: the reporter pattern wants the outlet right before 记者
        "dateline_place": "上海",
        "published": None,  # a month and day, no year: nothing to infer it from
        "dates": [],
    }
    inferred = metadata(gazetteer, text, figure_years=frozenset({2020}))["published"]
    assert inferred == (date(2021, 3, 5), "inferred", "新华社上海3月5日电")  # the year after the figures'


def test_a_reporter_and_an_author_line(gazetteer):
    meta = metadata(gazetteer, "人民网记者张三 报道\n正文写到了武汉。\n作者：李四\n来源：人民日报")
    assert (meta["outlet"], meta["author"], meta["kind"], meta["carrier"]) == ("人民网", "张三", "news", "web_page")


def test_a_speech_with_its_occasion_and_a_dateline_after_every_date_it_mentions(gazetteer):
    meta = metadata(
        gazetteer, "新华社武汉3月5日电 2023年5月1日，武汉市GDP达到1.8万亿元。\n（2021年5月23日，在武汉的讲话）"
    )
    assert (meta["kind"], meta["outlet"], meta["dateline_place"]) == ("speech", "新华社", "武汉")
    assert meta["published"] == (date(2024, 3, 5), "inferred", "新华社武汉3月5日电")  # after 2023-05-01
    assert meta["dates"] == [(date(2023, 5, 1), "event", None), (date(2021, 5, 23), "occasion", None)]


def test_a_page_time_is_the_publication_date_and_a_later_date_suspect(gazetteer):
    meta = metadata(
        gazetteer,
        "<title>长江中游</title><p>长江中游城市群观察 发布时间：2022-03-01 09:15</p>"
        "<p>新华社武汉3月5日电 2023年5月1日，武汉市GDP达到1.8万亿元，增长4%。</p>",
        html=True,
    )
    assert (meta["title"], meta["kind"], meta["carrier"]) == ("长江中游城市群观察", "news", "web_page")
    assert meta["published"] == (date(2022, 3, 1), "stated", "page time")
    assert meta["dates"] == [
        (date(2023, 5, 1), "event", "after the publication date 2022-03-01"),
        (date(2022, 3, 1), "page_time", None),
    ]


def test_a_dateline_naming_a_day_that_does_not_exist_gives_no_date_and_keeps_the_rest(gazetteer):
    """2月30日 dates nothing (it made the document a parser failure); the outlet and place still count."""
    meta = metadata(gazetteer, "新华社武汉2月30日电 2019年3月1日，武汉市GDP增长。")
    assert (meta["outlet"], meta["dateline_place"], meta["published"]) == ("新华社", "武汉", None)
    assert meta["dates"] == [(date(2019, 3, 1), "event", None)]


# pieces of datelines (新华社武汉3月5日电) and reporters (新华社记者王伟), and what sits between them
ANCHORED = "新华社 新华社武汉 人民网 武汉 上海 中国 记者 记者王伟 日电 3月5日电 12月31日电 王伟 月 1 a".split()
ANCHORED += [" ", "，", "\n"]


@EXAMPLES
@given(text=st.lists(st.sampled_from(ANCHORED), min_size=8, max_size=40).map("".join))
def test_a_pattern_tried_near_its_anchor_finds_what_a_full_scan_finds(text):
    for pattern, needle, reach in [
        (cleaning._DATELINE, "日电", cleaning._DATELINE_REACH),
        (cleaning._REPORTER, "记者", cleaning._REPORTER_REACH),
    ]:
        near = [(m.span(), m.groups()) for m in cleaning._matches_near(pattern, text, needle, reach)]
        assert near == [(m.span(), m.groups()) for m in pattern.finditer(text)]


def test_sentences_end_where_the_claims_module_says():
    sentences = [m.group() for m in _SENTENCE.finditer("。。一！二？三!四?五。六")]
    assert sentences == ["一！", "二？", "三!", "四?", "五。", "六"]  # terminators before the first: in none


def test_a_negative_zero_is_zero(gazetteer):
    claims, _ = extract_claims(["增速为-0%，与上年持平；比上年下降0个百分点。"], gazetteer)
    assert [(c.value, math.copysign(1.0, c.value), c.original_text) for c in claims] == [
        (0.0, 1.0, "-0%"),  # not −0.0
        (0.0, 1.0, "0个百分点"),
    ]


@pytest.mark.parametrize(
    ("cell", "value", "problem"),
    [
        ("30,133.86", 3013386000000.0, None),  # 上海市 2017 GDP, 亿元: commas between groups of three
        ("1,0", None, "not a number: '1,0' (a comma that does not separate thousands)"),  # not 10
        ("12,34", None, "not a number: '12,34' (a comma that does not separate thousands)"),
    ],
)
def test_a_comma_in_a_statistics_value_cell_separates_thousands_or_the_cell_is_a_problem(cell, value, problem):
    """A quoted value cell with a comma, read in 亿 (10^8) as the statistics loader reads it."""
    _, _, found_problem, number = read_value(cell, 8)
    assert (None if math.isnan(number) else number, found_problem) == (value, problem)


def test_a_short_title_with_only_a_list_comma_or_colon_is_a_paragraph_of_its_own(gazetteer):
    """Not glued to the sentence after it: a title's 湘潭 is no subject of the figure that follows."""
    cleaned = clean_text(
        "长沙、株洲、湘潭三市经济观察\n2017年长沙、株洲、湘潭三市地区生产总值合计约1.5万亿元。\n同志们：\n\n今天，"
    )
    assert cleaned.paragraphs == [
        "长沙、株洲、湘潭三市经济观察",
        "2017年长沙、株洲、湘潭三市地区生产总值合计约1.5万亿元。",
        "同志们：",
        "今天，",
    ]
    assert claims_of(cleaned.paragraphs, gazetteer) == [
        (0, "gdp", 1.5e12, None, "yuan", "1.5万亿元", 2017, None, "约"),
    ]
