"""Extract numeric claims from cleaned Chinese paragraphs.

A claim is a quantity with a unit (10200亿元, 1.2万亿元, 9%, 5200万人次, 115家) together with what it is
about: the metric (GDP, growth, share, population …) from the words before it, the year, the place
(the nearest place mentioned before it in the clause, or earlier in the sentence when the clause has
no subject of its own), and qualifiers such as 预计, 约, 超过, 下降. A claim without a year of its own
speaks of the latest year an earlier claim of its paragraph states (claim_year, year_basis).

A claim about several places (mart_scope_claim_reconciliation) says which kind it is (scope_kind):
count      cities over a threshold, from the words right after the number: "9个城市GDP超万亿元",
           "5个城市常住人口超千万", "5座万亿城市";
aggregate  the GDP or population of a cluster, sub-region or macro region;
share      such a scope's share of national GDP;
rank       a city's GDP claim in a sentence that ranks it among a macro region's cities in crossing 1
           trillion yuan: "长沙…成为中部第二个突破万亿元大关的城市" (claimed_rank 2, scope_code central).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from orchestration.documents.places import Gazetteer, Mention, Place

_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CHINESE_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
# Semicolons join clauses of one sentence in Chinese: "…2019年达到22.13%；…2020年仍然达到21.87%。"
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_CLAUSE_BREAK = re.compile(r"[，,、：:]")
_YEAR = re.compile(r"((?:19|20)\d{2})年")
_UNITS = "元|人次|人|名|%|个百分点|公里|千米|个|家|座|艘|台|项|吨|标箱"
_QUANTITY = re.compile(
    r"(?<![\dA-Za-z.+])(?P<sign>[-−])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?P<more>多|余)?(?P<mult>万亿|亿|万|千)?(?P<more2>多|余)?"
    # the low end of a range may leave out its unit when the multiplier is on both ends: 3000亿—4000亿元
    rf"(?:(?P<unit>{_UNITS})|(?=\s*[—–~～至到-]\s*\d+(?:\.\d+)?(?P=mult)(?P<unit2>{_UNITS})))"
    r"(?:\s*[—–~～至到-]\s*(?P<high>\d+(?:\.\d+)?)(?P=mult)?(?:(?P=unit)|(?P=unit2)))?"
)
# The same matches, found faster: a pattern that starts with a character class lets the regex engine
# skip to the next sign or digit instead of trying the look-behind at every character. The first
# character is the sign (then the number follows) or the number's first digit (then its rest follows);
# the look-behind tests the character before it. The groups are (head, signed number, rest of an
# unsigned number, more, mult, more2, unit, unit of a range's high end when the low end has none, high).
_FAST_QUANTITY = re.compile(
    r"(?P<head>[-−\d])(?<![\dA-Za-z.+][-−\d])"
    r"(?:(?<=[-−])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)|(?<=\d)(?P<rest>\d*(?:,\d{3})*(?:\.\d+)?))"
    + _QUANTITY.pattern[_QUANTITY.pattern.index("(?P<more>") :]
)
_MULTIPLIER = {
    None: Decimal(1),
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "亿": Decimal(10**8),
    "万亿": Decimal(10**12),
}
# (unit kind, words before a quantity) -> _clause_reading: the same few clauses (增长, 比上年增长, 总投资 …)
# come back across paragraphs and documents
_CLAUSE_READINGS: dict[tuple[str, str], tuple] = {}
_MAX_READINGS = 200_000
_EXPONENT = {None: "", "千": "e3", "万": "e4", "亿": "e8", "万亿": "e12"}
# digits of the number + 13 of the largest multiplier stay within Decimal's default 28-digit precision
_EXACT_DIGITS = 15
UNIT_KINDS = {
    "元": "yuan",
    "人次": "person_times",
    "人": "persons",
    "名": "persons",
    "%": "percent",
    "个百分点": "percentage_points",
    "公里": "km",
    "千米": "km",
    "吨": "tonnes",
    "标箱": "teu",
}
METRICS = [  # (metric, unit kinds it applies to, keywords before the number)
    ("gdp", {"yuan"}, re.compile(r"地区生产总值|国内生产总值|生产总值|GDP|经济总量", re.IGNORECASE)),
    ("investment", {"yuan"}, re.compile(r"投资|投入|融资")),
    ("share", {"percent"}, re.compile(r"占比|比重|份额|占全国|占")),
    ("growth", {"percent", "percentage_points"}, re.compile(r"增长|增速|增幅|下降|回落|提高|经济")),
    ("population", {"persons"}, re.compile(r"人口")),
    ("passengers", {"person_times"}, re.compile(r".")),
]
FALLBACK_METRIC = {
    "yuan": "money",
    "percent": "percent",
    "percentage_points": "percentage_points",
    "persons": "people",
    "person_times": "passengers",
    "km": "length",
    "tonnes": "tonnage",
    "teu": "containers",
    "count": "count",
}
_METRICS_BY_KIND = {
    kind: tuple((name, words) for name, kinds, words in METRICS if kind in kinds) for kind in FALLBACK_METRIC
}
QUALIFIERS = ["预计", "约", "超过", "超", "逾", "近", "下降", "增长"]  # in the words before the number
TRAILING_QUALIFIERS = ["左右", "以上", "多", "余"]  # right after it
_QUALIFIER_CHAR = re.compile("[" + "".join(sorted({q[0] for q in QUALIFIERS})) + "]")
_TRAILING_PAIRS = {q for q in TRAILING_QUALIFIERS if len(q) == 2}
_TRAILING_SINGLE = {q for q in TRAILING_QUALIFIERS if len(q) == 1}
# A clause that starts like this continues the previous clause's subject ("…10200亿元，增长9%").
_INHERITS_SUBJECT = re.compile(
    r"^(预计|约|增长|下降|同比|比上年|达到|达|实现|GDP|地区生产总值|生产总值|经济总量|其中|较|为|占|则|仍|(?:19|20)\d{2}年)"
)
# Claims about several places: what a count of cities counts, from the words right after it (the
# indicator they name, or 万亿/千万人口 before 城市), and a city's rank among a macro region's cities in
# crossing 1 trillion yuan, anywhere in its sentence
# "长沙、株洲、湘潭三市…合计": a figure about the named places together, not about the last one named
_GROUP = re.compile(r"合计|共计|总计|合共|总和|共达|共有|[两二三四五六七八九十]市|[两二三四五六七八九十]城(?!市群)")
# "南京、无锡、常州分别为A、B、C": the i-th figure after 分别 is the i-th place of the list before it
_RESPECTIVELY = "分别"
_LIST_JOINT = re.compile(r"[、和与及,，]?")
_COUNTED = re.compile(
    r"(?:城市)?(常住人口|人口|GDP|地区生产总值|经济总量)(?:超过|超|突破|逾|达到|达|过)(?:千万|1000万|万亿|1万亿)"
)
_COUNTED_KIND = re.compile(r"(万亿|千万人口)(?:元|级)*城市")
_RANK = re.compile(
    r"(中部|东部|西部|东北)(?:地区)?第([一二三四五六七八九十]+|[0-9]+)个(?:城市)?(?:突破|超过|跨过|迈入)万亿"
)
RANK_REGIONS = {"中部": "central", "东部": "east", "西部": "west", "东北": "northeast"}  # seed region_groups
SCOPE_PLACES = {"cluster", "sub_region", "region"}  # the place types whose GDP or population is a sum of members
THRESHOLDS = {"gdp": 1e12, "population": 1e7}  # 万亿 yuan, 千万 persons
_NO_SCOPE = (None, None, None, None, None)


@dataclass
class Claim:
    paragraph_index: int
    sentence_index: int
    metric: str
    value: float
    value_high: float | None
    unit: str
    original_text: str
    year: int | None
    entity_type: str | None
    entity_code: str | None
    entity_name: str | None
    qualifier: str | None
    sentence: str
    scope_kind: str | None = None
    scope_indicator: str | None = None
    scope_threshold: float | None = None
    scope_code: str | None = None
    claimed_rank: int | None = None
    claim_year: int | None = None
    year_basis: str | None = None


def normalise_years(text: str) -> str:
    """二〇一七年 -> 2017年, keeping every offset."""
    return _CHINESE_YEAR.sub(lambda m: m.group().translate(_CHINESE_DIGITS), text)


def chinese_number(text: str) -> int:
    """一 … 九十九, or digits, as a number: 二 -> 2, 十 -> 10, 十二 -> 12, 二十 -> 20, 23 -> 23."""
    if text.isdigit():
        return int(text)
    digits = text.translate(_CHINESE_DIGITS)
    if "十" not in digits:
        return int(digits)
    tens, _, ones = digits.partition("十")
    return int(tens or 1) * 10 + int(ones or 0)


def extract_claims(paragraphs: list[str], gazetteer: Gazetteer) -> tuple[list[Claim], list[tuple[int, Mention]]]:
    rows, spans = claim_rows(paragraphs, gazetteer)
    return [Claim(*row) for row in rows], [(p_index, Mention(*span)) for p_index, *span in spans]


def claim_rows(paragraphs: list[str], gazetteer: Gazetteer) -> tuple[list[tuple], list[tuple[int, int, int, Place]]]:
    """``extract_claims`` as plain tuples: each claim's fields in the order of ``Claim``, and each mention
    as (paragraph_index, start, end, place)."""
    claims: list[tuple] = []
    mentions: list[tuple[int, int, int, Place]] = []
    spans_of = gazetteer.spans
    for p_index, paragraph in enumerate(paragraphs):
        text = normalise_years(paragraph) if "年" in paragraph else paragraph
        found = spans_of(text)
        if found:
            mentions += [(p_index, *span) for span in found]
        # One pass over the paragraph instead of one per sentence: a quantity never spans a sentence
        # end (no terminator fits the pattern, and the character before a sentence is a terminator,
        # which the look-behind allows), so the paragraph's matches are exactly the sentences' matches.
        quantities = list(_FAST_QUANTITY.finditer(text))
        if quantities:
            _paragraph_claims(claims, p_index, text, paragraph, quantities, found)
    return claims, mentions


def _value(number: str, mult: str | None) -> float:
    """The number times its multiplier, exactly, then rounded once to a float: 20363.19亿 is exactly
    2036319000000. A short number's Decimal product is exact, and both Python's float parser and the
    Decimal's float round the exact value correctly, so the decimal string with an exponent gives the
    very float that Decimal would."""
    if len(number) <= _EXACT_DIGITS:
        return float(number + _EXPONENT[mult])
    return float(Decimal(number) * _MULTIPLIER[mult])


def _respective_places(
    text: str, start: int, end: int, quantities: list[re.Match], found: list[tuple[int, int, Place]]
) -> dict[int, Place] | None:
    """Offset of each figure after 分别 in the sentence -> its place, when a list of as many places, joined
    by 、和与及 and commas only, comes right before 分别 (its last place no further than 12 characters off)."""
    at = text.find(_RESPECTIVELY, start, end)
    if at < 0:
        return None
    figures = [
        q.start()
        for q in quantities
        if at <= q.start() < end and not (q.end() < len(text) and text[q.end()] in "年月日号")
    ]
    listed = [m for m in found if start <= m[0] and m[1] <= at]
    if len(figures) < 2 or len(listed) < len(figures) or at - listed[-1][1] > 12:
        return None
    listed = listed[-len(figures) :]
    for (_, left_end, _), (right_start, _, _) in zip(listed, listed[1:], strict=False):
        if not _LIST_JOINT.fullmatch(text, left_end, right_start):
            return None
    return {figure: place for figure, (_, _, place) in zip(figures, listed, strict=True)}


def _clause_reading(unit_kind: str, clause: str) -> tuple[str | None, tuple[str, ...], bool]:
    """What the words before a quantity say, whatever came before them: the metric their keywords name
    (None: none does), the qualifiers in their last 8 characters, and whether their last 6 say it fell."""
    metric = None
    for name, words in _METRICS_BY_KIND.get(unit_kind, ()):
        if words.search(clause):
            metric = name
            break
    tail = clause[-8:]
    qualifiers = [q for q in QUALIFIERS if q in tail] if _QUALIFIER_CHAR.search(tail) else []
    if len(qualifiers) > 1:  # 超 inside 超过 is the same word, not a second qualifier
        qualifiers = [q for q in qualifiers if not any(q != other and q in other for other in qualifiers)]
    end = clause[-6:]
    return metric, tuple(qualifiers), "下降" in end or "回落" in end


def _paragraph_claims(
    claims: list[tuple],
    p_index: int,
    text: str,
    original: str,
    quantities: list[re.Match],
    found: list[tuple[int, int, Place]],
) -> None:
    """The claims of one paragraph, in offsets of the whole paragraph; sentence by sentence, the same
    decisions as reading each sentence on its own (``previous`` and the scope restart per sentence)."""
    sentences = [m.span() for m in _SENTENCE.finditer(text)]
    sentence_starts = [s for s, _ in sentences]
    # clause breaks, years and place mentions never span a sentence end either, so one scan of the
    # paragraph each, then a bisection per quantity (the mentions come from a leftmost-longest scan:
    # they do not overlap and are in order of start and of end)
    breaks = [b.end() for b in _CLAUSE_BREAK.finditer(text)]
    years = [(y.start(), y.end(), int(y.group(1))) for y in _YEAR.finditer(text)] if "年" in text else []
    year_ends = [e for _, e, _ in years]
    mention_ends = [m[1] for m in found]
    readings = _CLAUSE_READINGS
    s_index = -1
    start = end = 0
    previous = False  # a claim before this one in the sentence, whose unit, metric and year follow
    previous_unit = previous_metric = previous_year = None
    previous_end = 0
    sentence = ""
    rank = None  # the sentence's rank phrase (None: not looked for yet)
    paragraph_year = None  # the year of the latest claim of the paragraph that has one
    length = len(text)
    for match in quantities:
        at, match_end = match.span()
        if at >= end:  # the first quantity of a new sentence
            s_index = bisect_right(sentence_starts, at) - 1
            start, end = sentences[s_index]
            previous, previous_end, sentence, rank = False, start, original[start:end].strip(), None
            respective = _respective_places(text, start, end, quantities, found) if _RESPECTIVELY in text else None
        if match_end < length and text[match_end] in "年月日号":
            continue
        head, signed_number, rest, more, mult, more2, unit, unit2, high = match.groups()
        unit = unit or unit2
        if signed_number is None:
            sign, number = None, head + rest
        else:
            sign, number = head, signed_number
        unit_kind = UNIT_KINDS.get(unit, "count")
        last_break = bisect_right(breaks, at)
        clause_start = breaks[last_break - 1] if last_break and breaks[last_break - 1] > start else start
        clause = text[clause_start:at]
        if "," in number:
            number = number.replace(",", "")
        # _value, inline for the usual short number
        value = float(number + _EXPONENT[mult]) if len(number) <= _EXACT_DIGITS else _value(number, mult)
        if high:
            high = _value(high, mult)
        key = (unit_kind, clause)
        reading = readings.get(key)
        if reading is None:
            if len(readings) >= _MAX_READINGS:
                readings.clear()
            reading = readings[key] = _clause_reading(unit_kind, clause)
        metric, qualifiers, fell = reading
        if metric is None:
            same_kind = previous and previous_unit == unit_kind  # every unit kind has a fallback metric
            metric = previous_metric if same_kind else FALLBACK_METRIC[unit_kind]
        # what follows the quantity in its sentence (a sentence ends with a terminator or the paragraph,
        # and neither starts a trailing qualifier, so no need to stop at the sentence's end)
        after = text[match_end : match_end + 2]
        if after in _TRAILING_PAIRS:
            qualifier = ",".join([*qualifiers, after])
        elif after[:1] in _TRAILING_SINGLE:
            qualifier = ",".join([*qualifiers, after[0]])
        else:
            qualifier = ",".join(qualifiers)
        if more or more2:
            qualifier = qualifier + ",多" if qualifier else "多"
        if sign or (fell and metric == "growth"):
            value = -value or 0.0  # -0 is 0, not −0.0
            if high is not None:
                high = -high or 0.0
        # a place named before the previous quantity of this clause belongs to that quantity
        scope_start = clause_start if clause_start > previous_end else previous_end
        entity = None
        last = bisect_right(mention_ends, at) - 1
        if last >= 0 and (mention := found[last])[0] >= start:
            # the nearest place before the quantity in the scope, or, when the scope starts like a
            # continuation, the nearest one earlier in the sentence
            if mention[0] >= scope_start or _INHERITS_SUBJECT.match(text[scope_start:at].strip().lstrip("；;")):
                entity = mention[2]
                # "中部地区…占全国的比重为22.13%": the nation after 占 is a share's denominator, not its subject
                if metric == "share" and entity.entity_type == "nation" and text[mention[0] - 1 : mention[0]] == "占":
                    # and with no place before 占 in the sentence, the subject is unnamed, not the nation
                    entity = found[last - 1][2] if last and found[last - 1][0] >= start else None
                elif last and found[last - 1][0] >= start and _GROUP.search(text, mention[1], at):
                    entity = None  # several places together: no single place's figure
        if respective and at in respective:
            entity = respective[at]
        year_index = bisect_right(year_ends, at) - 1
        if year_index >= 0 and years[year_index][0] >= start:
            year = years[year_index][2]
        else:
            year = previous_year if previous else None
        scope = _NO_SCOPE
        if unit_kind == "count":
            counted = _COUNTED.match(text, match_end, end) or _COUNTED_KIND.match(text, match_end, end)
            if counted:
                indicator = "population" if counted.group(1) in ("常住人口", "人口", "千万人口") else "gdp"
                scope = ("count", indicator, THRESHOLDS[indicator], None, None)
        elif entity is not None:
            if entity.entity_type in SCOPE_PLACES:
                if metric in ("gdp", "population"):
                    scope = ("aggregate", metric, None, entity.entity_code, None)
                elif metric == "share" and unit_kind == "percent":
                    scope = ("share", "gdp", None, entity.entity_code, None)
            elif entity.entity_type == "city" and metric == "gdp":
                if rank is None:
                    rank = _RANK.search(sentence) or False
                if rank:
                    scope = ("rank", "gdp", THRESHOLDS["gdp"], RANK_REGIONS[rank[1]], chinese_number(rank[2]))
        if year is not None:
            paragraph_year = year
            dated = (year, "stated")
        elif paragraph_year is not None:
            dated = (paragraph_year, "paragraph")
        else:
            dated = (None, None)
        if entity is None:
            claims.append(
                (p_index, s_index, metric, value, high, unit_kind, match.group(), year)
                + (None, None, None, qualifier or None, sentence)
                + scope
                + dated
            )
        else:
            claims.append(
                (p_index, s_index, metric, value, high, unit_kind, match.group(), year)
                + (entity.entity_type, entity.entity_code, entity.canonical_name, qualifier or None, sentence)
                + scope
                + dated
            )
        previous, previous_unit, previous_metric, previous_year = True, unit_kind, metric, year
        previous_end = match_end
