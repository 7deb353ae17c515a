"""Extract numeric claims from cleaned Chinese paragraphs.

A claim is a quantity with a unit (10200亿元, 1.2万亿元, 9%, 5200万人次, 115家) together with what it is
about: the metric (GDP, growth, share, population …) from the words before it, the year, the place
(the nearest place mentioned before it in the clause, or earlier in the sentence when the clause has
no subject of its own), and qualifiers such as 预计, 约, 超过, 下降.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from orchestration.lib.places import Gazetteer, Mention

_CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_CHINESE_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=年)")
# Semicolons join clauses of one sentence in Chinese: "…2019年达到22.13%；…2020年仍然达到21.87%。"
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_CLAUSE_BREAK = re.compile(r"[，,、：:]")
_YEAR = re.compile(r"((?:19|20)\d{2})年")
_QUANTITY = re.compile(
    r"(?<![\dA-Za-z.+])(?P<sign>[-−])?(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)(?P<more>多|余)?(?P<mult>万亿|亿|万|千)?(?P<more2>多|余)?"
    r"(?P<unit>元|人次|人|名|%|个百分点|公里|千米|个|家|座|艘|台|项|吨|标箱)"
    r"(?:\s*[—–~～至到-]\s*(?P<high>\d+(?:\.\d+)?)(?P=mult)?(?P=unit))?"
)
_MULTIPLIER = {
    None: Decimal(1),
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "亿": Decimal(10**8),
    "万亿": Decimal(10**12),
}
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
QUALIFIERS = ["预计", "约", "超过", "超", "逾", "近", "下降", "增长"]  # in the words before the number
TRAILING_QUALIFIERS = ["左右", "以上", "多", "余"]  # right after it
# A clause that starts like this continues the previous clause's subject ("…10200亿元，增长9%").
_INHERITS_SUBJECT = re.compile(
    r"^(预计|约|增长|下降|同比|比上年|达到|达|实现|GDP|地区生产总值|生产总值|经济总量|其中|较|为|占|则|仍|(?:19|20)\d{2}年)"
)


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


def normalise_years(text: str) -> str:
    """二〇一七年 -> 2017年, keeping every offset."""
    return _CHINESE_YEAR.sub(lambda m: m.group().translate(_CHINESE_DIGITS), text)


def extract_claims(paragraphs: list[str], gazetteer: Gazetteer) -> tuple[list[Claim], list[tuple[int, Mention]]]:
    claims: list[Claim] = []
    mentions: list[tuple[int, Mention]] = []
    for p_index, paragraph in enumerate(paragraphs):
        text = normalise_years(paragraph)
        found = gazetteer.find(text)
        mentions.extend((p_index, m) for m in found)
        for s_index, sentence in enumerate(_SENTENCE.finditer(text)):
            claims.extend(_sentence_claims(p_index, s_index, sentence, found, paragraph))
    return claims, mentions


def _sentence_claims(p_index: int, s_index: int, sentence: re.Match, mentions: list[Mention], original: str):
    text = sentence.group()
    if not _QUANTITY.search(text):
        return
    start, end = sentence.span()
    in_sentence = [m for m in mentions if start <= m.start and m.end <= end]
    previous: Claim | None = None
    previous_end = 0
    for match in _QUANTITY.finditer(text):
        if text[match.end() : match.end() + 1] in ("年", "月", "日", "号"):
            continue
        unit_kind = UNIT_KINDS.get(match["unit"], "count")
        clause_start = max((b.end() for b in _CLAUSE_BREAK.finditer(text, 0, match.start())), default=0)
        clause = text[clause_start : match.start()]
        # Decimal, so 20363.19亿元 is exactly 2036319000000 yuan
        value = float(Decimal(match["num"].replace(",", "")) * _MULTIPLIER[match["mult"]])
        high = float(Decimal(match["high"]) * _MULTIPLIER[match["mult"]]) if match["high"] else None
        metric = next((name for name, kinds, words in METRICS if unit_kind in kinds and words.search(clause)), None)
        if metric is None:
            same_kind = previous and FALLBACK_METRIC.get(unit_kind) and previous.unit == unit_kind
            metric = previous.metric if same_kind else FALLBACK_METRIC[unit_kind]
        after = text[match.end() : match.end() + 2]
        qualifier = ",".join(
            [q for q in QUALIFIERS if q in clause[-8:]] + [q for q in TRAILING_QUALIFIERS if after.startswith(q)]
        )
        if match["more"] or match["more2"]:
            qualifier = ",".join(filter(None, [qualifier, "多"]))
        sign = -1 if match["sign"] or (metric == "growth" and re.search(r"下降|回落", clause[-6:])) else 1
        # a place named before the previous quantity of this clause belongs to that quantity
        scope_start = max(clause_start, previous_end - start if previous_end > start else 0)
        entity = _entity(text[scope_start : match.start()], scope_start, start, in_sentence, match.start())
        year = _year(clause) or _year(text[: match.start()]) or (previous.year if previous else None)
        previous = Claim(
            paragraph_index=p_index,
            sentence_index=s_index,
            metric=metric,
            value=sign * value,
            value_high=sign * high if high is not None else None,
            unit=unit_kind,
            original_text=match.group(),
            year=year,
            entity_type=entity.place.entity_type if entity else None,
            entity_code=entity.place.entity_code if entity else None,
            entity_name=entity.place.canonical_name if entity else None,
            qualifier=qualifier or None,
            sentence=original[start:end].strip(),
        )
        previous_end = start + match.end()
        yield previous


def _entity(clause: str, clause_start: int, sentence_start: int, mentions: list[Mention], at: int):
    absolute_at = sentence_start + at
    absolute_clause = sentence_start + clause_start
    before = [m for m in mentions if m.end <= absolute_at]
    in_clause = [m for m in before if m.start >= absolute_clause]
    if in_clause:
        return in_clause[-1]
    if _INHERITS_SUBJECT.match(clause.strip()) and before:
        return before[-1]
    return None


def _year(text: str) -> int | None:
    years = _YEAR.findall(text)
    return int(years[-1]) if years else None
