"""Generate synthetic, messy Chinese news documents for ingestion benchmarks.

Usage::

    python benchmarks/generate_documents.py OUT_DIR --count N [--seed S]

writes N documents into ``OUT_DIR/documents/`` (so OUT_DIR can be used as a raw root) and prints a
one-line summary. Other scripts can call :func:`generate` directly::

    from benchmarks.generate_documents import generate

The documents imitate news pages scraped about China's Yangtze city clusters (长三角, 长江中游城市群,
成渝城市群): titles glued to timestamps, breadcrumbs and click counters, blocks of paragraphs repeated
several times, sentences broken across a blank line mid-word, truncated endings, full-width digits,
years written 二〇一九年, mixed full-/half-width punctuation. About 80% are UTF-8 ``.txt``, 10% GBK ``.txt``
and 10% UTF-8 ``.html``; about 2% are exact copies of an earlier document and 2% near-duplicates (one
paragraph changed). Every figure is synthetic: plausible in size, not true.

Output is a pure function of (seed, index): document ``i`` is the same whatever ``count`` is, and a
duplicate is rebuilt from its original's seed rather than kept in memory, so 100k documents need no
more memory than ten. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import random
import string
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

__all__ = ["generate"]

T = TypeVar("T")

# --------------------------------------------------------------------------------------------------
# Vocabulary. GDP (亿元, around 2019) and population (万人) are rough magnitudes used to keep the
# synthetic numbers plausible; they are not meant to be accurate.
# --------------------------------------------------------------------------------------------------

# name, province, cluster key, gdp 2019 (亿元), resident population (万人)
_CITY_ROWS: tuple[tuple[str, str, str, float, float], ...] = (
    ("上海", "上海", "yrd", 38155, 2428),
    ("南京", "江苏", "yrd", 14030, 850),
    ("无锡", "江苏", "yrd", 11852, 659),
    ("常州", "江苏", "yrd", 7400, 473),
    ("苏州", "江苏", "yrd", 19236, 1075),
    ("南通", "江苏", "yrd", 9383, 731),
    ("盐城", "江苏", "yrd", 5702, 720),
    ("扬州", "江苏", "yrd", 5850, 454),
    ("镇江", "江苏", "yrd", 4127, 321),
    ("泰州", "江苏", "yrd", 5133, 463),
    ("杭州", "浙江", "yrd", 15373, 1036),
    ("宁波", "浙江", "yrd", 11985, 854),
    ("嘉兴", "浙江", "yrd", 5370, 480),
    ("湖州", "浙江", "yrd", 3122, 303),
    ("绍兴", "浙江", "yrd", 5781, 503),
    ("金华", "浙江", "yrd", 4560, 563),
    ("舟山", "浙江", "yrd", 1371, 117),
    ("台州", "浙江", "yrd", 5134, 615),
    ("合肥", "安徽", "yrd", 9409, 818),
    ("芜湖", "安徽", "yrd", 3618, 377),
    ("马鞍山", "安徽", "yrd", 2111, 234),
    ("铜陵", "安徽", "yrd", 960, 164),
    ("安庆", "安徽", "yrd", 2380, 472),
    ("滁州", "安徽", "yrd", 2909, 414),
    ("池州", "安徽", "yrd", 832, 148),
    ("宣城", "安徽", "yrd", 1561, 265),
    ("武汉", "湖北", "myr", 16223, 1121),
    ("黄石", "湖北", "myr", 1767, 247),
    ("鄂州", "湖北", "myr", 1140, 105),
    ("黄冈", "湖北", "myr", 2322, 633),
    ("孝感", "湖北", "myr", 2301, 492),
    ("咸宁", "湖北", "myr", 1595, 254),
    ("仙桃", "湖北", "myr", 869, 114),
    ("潜江", "湖北", "myr", 812, 96),
    ("天门", "湖北", "myr", 650, 124),
    ("襄阳", "湖北", "myr", 4813, 568),
    ("宜昌", "湖北", "myr", 4461, 413),
    ("荆州", "湖北", "myr", 2516, 557),
    ("荆门", "湖北", "myr", 2034, 290),
    ("长沙", "湖南", "myr", 11574, 839),
    ("株洲", "湖南", "myr", 3003, 402),
    ("湘潭", "湖南", "myr", 2258, 286),
    ("岳阳", "湖南", "myr", 3780, 577),
    ("益阳", "湖南", "myr", 1792, 441),
    ("常德", "湖南", "myr", 3624, 577),
    ("衡阳", "湖南", "myr", 3373, 724),
    ("娄底", "湖南", "myr", 1641, 393),
    ("南昌", "江西", "myr", 5596, 560),
    ("九江", "江西", "myr", 3121, 489),
    ("景德镇", "江西", "myr", 926, 166),
    ("鹰潭", "江西", "myr", 941, 117),
    ("新余", "江西", "myr", 1001, 119),
    ("宜春", "江西", "myr", 2688, 558),
    ("萍乡", "江西", "myr", 1108, 193),
    ("上饶", "江西", "myr", 2513, 681),
    ("抚州", "江西", "myr", 1511, 404),
    ("吉安", "江西", "myr", 2000, 496),
    ("重庆", "重庆", "cy", 23606, 3124),
    ("成都", "四川", "cy", 17013, 1658),
    ("自贡", "四川", "cy", 1428, 290),
    ("泸州", "四川", "cy", 2081, 432),
    ("德阳", "四川", "cy", 2336, 353),
    ("绵阳", "四川", "cy", 2856, 487),
    ("遂宁", "四川", "cy", 1345, 320),
    ("内江", "四川", "cy", 1433, 370),
    ("乐山", "四川", "cy", 1863, 327),
    ("南充", "四川", "cy", 2322, 641),
    ("眉山", "四川", "cy", 1380, 296),
    ("宜宾", "四川", "cy", 2602, 457),
    ("广安", "四川", "cy", 1250, 325),
    ("达州", "四川", "cy", 2041, 568),
    ("雅安", "四川", "cy", 754, 154),
    ("资阳", "四川", "cy", 778, 250),
)


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    province: str
    cluster: str
    gdp: float
    pop: float


_CITIES = tuple(_City(*row) for row in _CITY_ROWS)
_BY_CLUSTER = {key: tuple(c for c in _CITIES if c.cluster == key) for key in ("yrd", "myr", "cy")}
_BIG = {key: tuple(c for c in cities if c.gdp > 4000) for key, cities in _BY_CLUSTER.items()}

# province -> (full name, one-character abbreviation)
_PROVINCES = {
    "上海": ("上海市", "沪"),
    "江苏": ("江苏省", "苏"),
    "浙江": ("浙江省", "浙"),
    "安徽": ("安徽省", "皖"),
    "湖北": ("湖北省", "鄂"),
    "湖南": ("湖南省", "湘"),
    "江西": ("江西省", "赣"),
    "重庆": ("重庆市", "渝"),
    "四川": ("四川省", "川"),
}
_CLUSTER_PROVINCES = {
    "yrd": ("上海", "江苏", "浙江", "安徽"),
    "myr": ("湖北", "湖南", "江西"),
    "cy": ("重庆", "四川"),
}
_CLUSTER_FULL = {"yrd": "长江三角洲城市群", "myr": "长江中游城市群", "cy": "成渝城市群"}
_CLUSTER_ALIASES = {
    "yrd": ("长三角", "长三角", "长三角", "长江三角洲城市群", "长江三角洲城市群", "长三角城市群", "长三角地区"),
    "myr": ("长江中游城市群", "长江中游城市群", "长江中游城市群", "长江中游地区", "“中三角”"),
    "cy": ("成渝城市群", "成渝城市群", "成渝地区双城经济圈", "成渝地区双城经济圈", "成渝经济区", "成渝双城经济圈"),
}
_CLUSTER_TOTAL_GDP = {"yrd": 20.4, "myr": 9.4, "cy": 6.5}  # 万亿元 around 2019, rough
_CLUSTER_CITY_COUNT = {"yrd": 26, "myr": 31, "cy": 16}
_SUBCLUSTERS = {
    "上海": ("上海大都市圈",),
    "江苏": ("南京都市圈", "苏锡常都市圈"),
    "浙江": ("杭州都市圈", "宁波都市圈"),
    "安徽": ("合肥都市圈", "皖江城市带"),
    "湖北": ("武汉城市圈", "武汉城市圈", "“襄十随神”城市群"),
    "湖南": ("长株潭", "长株潭城市群", "环长株潭城市群"),
    "江西": ("环鄱阳湖城市群", "环鄱阳湖城市群", "大南昌都市圈"),
    "重庆": ("重庆都市圈", "成渝地区双城经济圈"),
    "四川": ("成都都市圈", "成渝地区双城经济圈"),
}

_THINGS = (
    "综合交通枢纽",
    "现代产业体系",
    "科技创新共同体",
    "世界级产业集群",
    "生态环境共保联治机制",
    "统一开放的市场体系",
    "国际消费中心城市",
    "公共服务共建共享机制",
    "“轨道上的城市群”",
    "内陆开放高地",
    "具有全国影响力的科技创新中心",
    "长江经济带绿色发展示范区",
    "高水平对外开放平台",
    "数字经济创新发展试验区",
)
_INDUSTRIES = (
    "集成电路",
    "新能源汽车",
    "生物医药",
    "人工智能",
    "电子信息",
    "装备制造",
    "新材料",
    "现代物流",
    "文化旅游",
    "光电子信息",
    "工程机械",
    "智能网联汽车",
    "绿色食品",
    "航空航天",
    "节能环保",
    "软件和信息服务",
)
_QUOTES = (
    "一体化不是简单的‘一样化’，而是要发挥各自比较优势，实现错位发展",
    "城市群发展的关键在于打破行政壁垒，让要素自由流动",
    "我们将主动融入国家战略，在更大范围内配置资源",
    "交通先行是城市群协同发展的基础，这几年变化非常明显",
    "今年的目标是稳中求进，确保主要指标保持在合理区间",
    "企业最关心的是营商环境，跨省通办给我们省了不少事",
)
_PERSON_TEMPLATES = (
    "{city}市发改委有关负责人",
    "{prov}统计局相关负责人",
    "{city}市统计局总统计师",
    "中国社会科学院一位专家",
    "{city}市委主要负责同志",
    "一位不愿具名的业内人士",
    "{prov}社科院研究员",
    "{city}某企业负责人",
)
_SOURCES = (
    "新华网",
    "人民网",
    "中国新闻网",
    "澎湃新闻",
    "第一财经",
    "经济日报",
    "长江日报",
    "湖北日报",
    "湖南日报",
    "江西日报",
    "解放日报",
    "新华日报",
    "浙江日报",
    "安徽日报",
    "四川日报",
    "重庆日报",
    "红网",
    "大江网",
    "华龙网",
    "四川在线",
    "东方网",
    "荆楚网",
    "中国经济网",
    "央广网",
)
_AGENCIES = ("新华社", "新华社", "新华社", "中新网", "人民网", "央广网", "中新社")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲芬燕红晶欣宇浩凯健俊帆雪琳晨"
_BREADCRUMBS = (
    "首页 > 新闻 > 正文",
    "首页 > 新闻 > 正文",
    "首页 > 本地新闻 > 正文",
    "当前位置：首页 > 要闻 > 正文",
    "首页>财经>区域经济",
    "您的位置：首页 > 新闻中心 > 国内新闻",
    "首页 > 资讯 > 城市",
    "当前位置: 首页 > 经济 > 正文",
)
_NOISE_LINES = (
    "【字体：大 中 小】",
    "【打印】【关闭】",
    "分享到：",
    "【纠错】",
    "扫一扫在手机打开当前页",
    "[我要评论]",
    "字号：T|T",
    "相关新闻：",
)

_CN_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
_FULLWIDTH_NUMBERS = str.maketrans("0123456789.%", "０１２３４５６７８９．％")
_HALF_PUNCT = str.maketrans({"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"})
_FULL_PERCENT = str.maketrans({"%": "％"})

# --------------------------------------------------------------------------------------------------
# Sentence templates. Each field is produced by a generator in _GEN from the sentence context.
# --------------------------------------------------------------------------------------------------

_SENTENCES = (
    # GDP
    "{year}年{city}地区生产总值{gdp}亿元，比上年增长{g}%。",
    "{year}年，{city}实现地区生产总值（GDP）{gdp}亿元，按可比价格计算，同比增长{g}%。",
    "初步核算，{year}年全市地区生产总值{gdp}亿元，增长{g}%，增速高于全国{dg}个百分点。",
    "据{city}市统计局发布的数据，{year}年{city}GDP为{gdp}亿元，同比增长{g}%。",
    "{city}经济总量在{cluster}中排名第{rank}位，与{city2}的差距进一步缩小。",
    "{year}年{cluster}经济总量合计约{cgdp}万亿元，约占全国的{cshare}%。",
    "预计{fyear}年GDP达{fgdp}万亿元，年均增长{g}%左右。",
    "到{fyear}年，{cluster}经济总量有望达到{fgdp}万亿元。",
    "分产业看，第一产业增加值{x1}亿元，增长{g}%；第二产业增加值{x2}亿元，增长{g2}%；第三产业增加值{x3}亿元，增长{g3}%。",
    "{city2}全年实现地区生产总值{gdp2}亿元，比上年增长{g2}%，增速在全省排名第{rank}。",
    # population
    "{year}年末{city}常住人口{p}万人，比上年末增加{dp}万人。",
    "全市常住人口城镇化率为{u}%，比上年末提高{du}个百分点。",
    "{city}户籍人口{hp}万人，常住人口{p}万人，人口净流入态势明显。",
    "第七次全国人口普查数据显示，{city}常住人口为{p}万人，与2010年相比增加{dp}万人。",
    # visitors and travel
    "全年接待国内外游客{n}万人次，实现旅游总收入{x}亿元。",
    "春运40天，{city}铁路累计发送旅客{n}万人次，同比增长{g}%。",
    "“五一”假期，{city}共接待游客{nh}万人次，实现旅游收入{xs}亿元。",
    "{city}机场全年旅客吞吐量{na}万人次，货邮吞吐量{t}万吨。",
    # investment
    "{city}与{city2}集中签约重大项目{k}个，总投资{x}亿元。",
    "全年固定资产投资比上年增长{g}%，其中工业投资增长{g2}%。",
    "{city}今年安排重点项目{k}个，年度计划投资{x}亿元。",
    "此次签约的{k}个项目涵盖{industries}等领域，投资{x}亿元。",
    "项目总投资{xs}亿元，建成后预计年产值可达{xo}亿元。",
    # trade, consumption, income, industry
    "全年社会消费品零售总额{x}亿元，增长{g}%。",
    "外贸进出口总额{x}亿元，增长{g}%，其中出口{xs}亿元。",
    "全体居民人均可支配收入{inc}元，比上年增长{g}%。",
    "规模以上工业增加值比上年增长{g}%，高新技术产业增加值占比达到{share}%。",
    "{industry}产业规模突破{xbig}亿元，成为{city}第{k1}个千亿级产业集群。",
    # transport
    "{city}至{city2}高速铁路全长{km}公里，设计时速{speed}公里，建成后两地最快{mins}分钟可达。",
    "{cluster}高铁营业里程已超过{km2}公里，“{hours}小时交通圈”基本形成。",
    "{city}与{city2}相距约{km}公里，两地之间每日往返通勤约{n2}万人次。",
    # narrative
    "{cluster}是我国经济最具活力、开放程度最高、创新能力最强的区域之一。",
    "作为{cluster}的中心城市之一，{city}正加快建设{thing}。",
    "会议强调，要深入推进{cluster}一体化发展，着力构建{thing}。",
    "{sub}建设提速，{city}、{city2}等城市在{industry}领域的协作不断加强。",
    "根据《{full}发展规划》，{full}包括{prov}、{prov2}等省市的{ncity}个城市。",
    "“{quote}。”{person}在接受记者采访时表示。",
    "{person}介绍，下一步将围绕{thing}，推动{cluster}高质量发展。",
    "记者从{city}市统计局获悉，{year}年全市经济运行总体平稳、稳中有进。",
    "今年以来，{city}坚持稳中求进工作总基调，主要经济指标好于预期。",
    "{prov_short}{prov2_short}两地签署合作协议，共同推进{thing}建设。",
    "在{cluster}{ncity}个城市中，GDP超过万亿元的城市已有{k1}个。",
)
_TITLES = (
    "{year}年{city}GDP达{gdp}亿元 同比增长{g}%",
    "{city}{year}年经济运行情况发布：GDP增长{g}%",
    "{cluster}一体化发展提速 {city}与{city2}签署合作协议",
    "{year}年{cluster}城市GDP排名出炉，{city}位列第{rank}",
    "{city}：奋力打造{thing}",
    "{sub}建设按下“快进键”",
    "《{full}发展规划》实施{k1}周年 {city}交出亮眼答卷",
    "{city}常住人口突破{pr}万 人口吸引力持续增强",
    "{city}至{city2}高铁最新进展来了！",
    "{cluster}“朋友圈”再扩容 {industry}产业加速集聚",
    "{year}年{city}统计公报发布 这些数据值得关注",
    "推动{cluster}高质量发展 {city}在行动",
)


def _field_names(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


_SENTENCE_TEMPLATES = tuple((t, _field_names(t)) for t in _SENTENCES)
_TITLE_TEMPLATES = tuple((t, _field_names(t)) for t in _TITLES)


# --------------------------------------------------------------------------------------------------
# Document model
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Style:
    """Per-document context and habits used while writing sentences."""

    cluster: str
    focus: _City
    pool: tuple[_City, ...]
    year: int
    templates: tuple[tuple[str, tuple[str, ...]], ...]
    cn_year_p: float
    fullwidth_p: float
    half_punct_p: float
    full_percent: bool
    fullwidth_table: dict[int, str]
    focus_industry: str


@dataclass(frozen=True, slots=True)
class _Spec:
    """Everything needed to render one document; rendering is a pure function of this."""

    fmt: str  # "txt" | "gbk" | "html"
    style: _Style
    title: str
    head: tuple[str, ...]  # text lines above the body (txt), info lines (html)
    lead: str | None  # dateline opening the body ("新华社武汉1月8日电（记者…）")
    breadcrumb: str
    clicks: int
    timestamp: str
    source: str
    body: tuple[tuple[str, ...], ...]  # paragraphs as sentence tuples, repeats included
    seps: tuple[str, ...]  # separator after each paragraph
    breaks: tuple[tuple[int, float], ...]  # (paragraph index, relative position) of mid-word breaks
    tail: tuple[str, ...]  # dateline / editor lines after the body
    truncate: float | None  # cut the last paragraph at this fraction, dropping the tail
    indent: str
    crlf: bool


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """Like ``rng.choice`` but about twice as fast (one ``random()`` call); deterministic too."""
    return seq[int(rng.random() * len(seq))]


class _Ctx:
    __slots__ = ("style", "city", "city2", "year")

    def __init__(self, rng: random.Random, style: _Style, focus_p: float) -> None:
        self.style = style
        pool = style.pool
        self.city = style.focus if rng.random() < focus_p else _pick(rng, pool)
        city2 = _pick(rng, pool)
        if city2 is self.city:
            city2 = pool[(pool.index(city2) + 1) % len(pool)]
        self.city2 = city2
        self.year = style.year if rng.random() < 0.8 else style.year - 1


def _year_text(rng: random.Random, ctx: _Ctx, year: int) -> str:
    text = str(year)
    if ctx.style.cn_year_p and rng.random() < ctx.style.cn_year_p:
        return text.translate(_CN_DIGITS)
    return text


def _gdp_value(rng: random.Random, city: _City, year: int) -> float:
    return city.gdp * 1.068 ** (year - 2019) * rng.uniform(0.96, 1.04)


def _cluster_gdp(rng: random.Random, ctx: _Ctx) -> float:
    return _CLUSTER_TOTAL_GDP[ctx.style.cluster] * 1.068 ** (ctx.year - 2019) * rng.uniform(0.97, 1.03)


def _money(rng: random.Random, value: float) -> str:
    r = rng.random()
    if r < 0.7:
        return f"{value:.2f}"
    if r < 0.9:
        return f"{value:.1f}"
    return str(round(value))


def _pct(rng: random.Random, lo: float, hi: float) -> str:
    return f"{rng.uniform(lo, hi):.1f}"


def _person(rng: random.Random, ctx: _Ctx) -> str:
    template = _pick(rng, _PERSON_TEMPLATES)
    return template.format(city=ctx.city.name, prov=_PROVINCES[ctx.city.province][0])


def _other_province(rng: random.Random, ctx: _Ctx) -> str:
    provinces = _CLUSTER_PROVINCES[ctx.style.cluster]
    p = _pick(rng, provinces)
    if p == ctx.city.province:
        p = provinces[(provinces.index(p) + 1) % len(provinces)]
    return p


_GEN = {
    "city": lambda r, c: c.city.name,
    "city2": lambda r, c: c.city2.name,
    "prov": lambda r, c: _PROVINCES[c.city.province][0],
    "prov2": lambda r, c: _PROVINCES[_other_province(r, c)][0],
    "prov_short": lambda r, c: _PROVINCES[c.city.province][1],
    "prov2_short": lambda r, c: _PROVINCES[_other_province(r, c)][1],
    "cluster": lambda r, c: _pick(r, _CLUSTER_ALIASES[c.style.cluster]),
    "full": lambda r, c: _CLUSTER_FULL[c.style.cluster],
    "sub": lambda r, c: _pick(r, _SUBCLUSTERS[c.city.province]),
    "ncity": lambda r, c: str(_CLUSTER_CITY_COUNT[c.style.cluster]),
    "year": lambda r, c: _year_text(r, c, c.year),
    "fyear": lambda r, c: _year_text(r, c, _pick(r, (2025, 2025, 2030, 2035))),
    "gdp": lambda r, c: _money(r, _gdp_value(r, c.city, c.year)),
    "gdp2": lambda r, c: _money(r, _gdp_value(r, c.city2, c.year)),
    "cgdp": lambda r, c: f"{_cluster_gdp(r, c):.1f}",
    "fgdp": lambda r, c: f"{_CLUSTER_TOTAL_GDP[c.style.cluster] * r.uniform(1.3, 2.2):.1f}",
    "g": lambda r, c: _pct(r, 2.0, 9.5),
    "g2": lambda r, c: _pct(r, 1.0, 12.0),
    "g3": lambda r, c: _pct(r, 3.0, 9.0),
    "dg": lambda r, c: _pct(r, 0.1, 2.5),
    "x1": lambda r, c: _money(r, _gdp_value(r, c.city, c.year) * r.uniform(0.01, 0.08)),
    "x2": lambda r, c: _money(r, _gdp_value(r, c.city, c.year) * r.uniform(0.3, 0.48)),
    "x3": lambda r, c: _money(r, _gdp_value(r, c.city, c.year) * r.uniform(0.45, 0.7)),
    "rank": lambda r, c: str(r.randint(1, 12)),
    "share": lambda r, c: _pct(r, 8.0, 45.0),
    "p": lambda r, c: f"{c.city.pop * r.uniform(0.97, 1.03):.2f}",
    "pr": lambda r, c: str(int(c.city.pop // 100 * 100) or 100),
    "hp": lambda r, c: f"{c.city.pop * r.uniform(0.7, 0.95):.2f}",
    "dp": lambda r, c: f"{c.city.pop * r.uniform(0.002, 0.03):.2f}",
    "u": lambda r, c: _pct(r, 52.0, 89.5),
    "du": lambda r, c: _pct(r, 0.3, 1.8),
    "n": lambda r, c: (
        f"{c.city.pop * r.uniform(2.0, 18.0):.1f}"
        if r.random() < 0.6
        else str(round(c.city.pop * r.uniform(2.0, 18.0)))
    ),
    "na": lambda r, c: f"{c.city.pop * r.uniform(0.2, 3.2):.1f}",
    "n2": lambda r, c: f"{r.uniform(0.5, 30.0):.1f}",
    "x": lambda r, c: _money(r, _gdp_value(r, c.city, c.year) * r.uniform(0.03, 0.45)),
    "xbig": lambda r, c: _money(r, r.uniform(1000.0, 1000.0 + c.city.gdp * 0.3)),
    "nh": lambda r, c: f"{c.city.pop * r.uniform(0.3, 2.5):.1f}",
    "cshare": lambda r, c: f"{_CLUSTER_TOTAL_GDP[c.style.cluster] / 99.1 * 100 * r.uniform(0.95, 1.05):.1f}",
    "xs": lambda r, c: _money(r, r.uniform(1.0, 300.0)),
    "xo": lambda r, c: _money(r, r.uniform(5.0, 600.0)),
    "t": lambda r, c: f"{r.uniform(1.0, 90.0):.1f}",
    "k": lambda r, c: str(r.randint(3, 120)),
    "k1": lambda r, c: str(r.randint(2, 9)),
    "inc": lambda r, c: str(r.randint(26000, 82000)),
    "industries": lambda r, c: "、".join(r.sample(_INDUSTRIES, r.randint(2, 4))),
    "industry": lambda r, c: c.style.focus_industry if r.random() < 0.5 else _pick(r, _INDUSTRIES),
    "thing": lambda r, c: _pick(r, _THINGS),
    "quote": lambda r, c: _pick(r, _QUOTES),
    "person": _person,
    "km": lambda r, c: str(r.randint(60, 420)),
    "km2": lambda r, c: str(r.randint(30, 130) * 100),
    "speed": lambda r, c: _pick(r, ("250", "350", "350")),
    "mins": lambda r, c: str(r.randint(25, 95)),
    "hours": lambda r, c: _pick(r, ("1", "1", "2", "3", "半")),
}


def _fill(rng: random.Random, style: _Style, template: str, fields: tuple[str, ...], focus_p: float = 0.45) -> str:
    ctx = _Ctx(rng, style, focus_p)
    return template.format_map({name: _GEN[name](rng, ctx) for name in fields})


class _Deck:
    """Deals a document's templates in shuffled rounds, so that one template does not pile up."""

    __slots__ = ("rng", "templates", "cards")

    def __init__(self, rng: random.Random, templates: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.rng = rng
        self.templates = templates
        self.cards: list[tuple[str, tuple[str, ...]]] = []

    def deal(self) -> tuple[str, tuple[str, ...]]:
        if not self.cards:
            self.cards = list(self.templates)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


def _sentence(rng: random.Random, style: _Style, deck: _Deck | None = None) -> str:
    template, fields = deck.deal() if deck is not None else _pick(rng, style.templates)
    text = _fill(rng, style, template, fields)
    if style.full_percent:
        text = text.translate(_FULL_PERCENT)
    if style.fullwidth_p and rng.random() < style.fullwidth_p:
        text = text.translate(style.fullwidth_table)
    if style.half_punct_p and rng.random() < style.half_punct_p:
        text = text.translate(_HALF_PUNCT)
    return text


def _paragraph(rng: random.Random, style: _Style, deck: _Deck, target_chars: float) -> tuple[str, ...]:
    sentences: list[str] = []
    total = 0
    while not sentences or total + 22 <= target_chars:
        s = _sentence(rng, style, deck)
        sentences.append(s)
        total += len(s)
    return tuple(sentences)


def _name(rng: random.Random) -> str:
    return _pick(rng, _SURNAMES) + "".join(_pick(rng, _GIVEN) for _ in range(rng.randint(1, 2)))


def _new_spec(rng: random.Random) -> _Spec:
    r = rng.random()
    fmt = "txt" if r < 0.8 else ("gbk" if r < 0.9 else "html")
    cluster = rng.choices(("yrd", "myr", "cy"), weights=(4, 4, 3))[0]
    focus = _pick(rng, _BIG[cluster]) if rng.random() < 0.6 else _pick(rng, _BY_CLUSTER[cluster])
    others = rng.sample(_BY_CLUSTER[cluster], rng.randint(3, 7))
    if rng.random() < 0.15:  # an outsider from another cluster
        others.append(_pick(rng, _CITIES))
    pool = tuple(dict.fromkeys([focus, *others]))
    year = rng.randint(2014, 2022)
    style = _Style(
        cluster=cluster,
        focus=focus,
        pool=pool,
        year=year,
        templates=tuple(rng.sample(_SENTENCE_TEMPLATES, rng.randint(12, 24))),
        cn_year_p=_pick(rng, (0.0, 0.0, 0.0, 0.0, 0.2, 0.6)),
        fullwidth_p=_pick(rng, (0.0,) * 7 + (0.15, 0.4, 1.0)),
        half_punct_p=_pick(rng, (0.0, 0.0, 0.05, 0.2, 0.5)),
        full_percent=rng.random() < 0.1,
        fullwidth_table=_FULLWIDTH_DIGITS if rng.random() < 0.6 else _FULLWIDTH_NUMBERS,
        focus_industry=_pick(rng, _INDUSTRIES),
    )

    template, fields = _pick(rng, _TITLE_TEMPLATES)
    title = _fill(rng, style, template, fields, focus_p=0.9)
    if style.fullwidth_p and rng.random() < style.fullwidth_p:
        title = title.translate(style.fullwidth_table)
    pub_year = year + _pick(rng, (0, 1, 1, 1))
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hh, mm, ss = rng.randint(6, 23), rng.randint(0, 59), _pick(rng, (0, 0, rng.randint(0, 59)))
    timestamp = f"{pub_year}-{month:02d}-{day:02d} {hh:02d}:{mm:02d}:{ss:02d}"
    source = _pick(rng, _SOURCES) if rng.random() < 0.85 else f"{focus.name}发布"
    clicks = rng.randint(3, 30000)
    breadcrumb = _pick(rng, _BREADCRUMBS)

    # Lines above the body. In html, the title and breadcrumb have their own elements.
    head: list[str] = []
    if fmt != "html" and rng.random() < 0.35:
        head.append(breadcrumb)
    r = rng.random()
    if r < 0.3:  # title glued to its timestamp, as scraped from a page header
        glue = _pick(rng, ("时间:", "时间：", "发布时间：", "", " ", "  日期:"))
        line = f"{title}{glue}{timestamp}"
        if rng.random() < 0.5:
            line += f"{_pick(rng, ('  ', ' ', '　'))}来源：{source}"
        head.append(line)
    else:
        head.append(title)
        if rng.random() < 0.6:
            stamp = timestamp if rng.random() < 0.6 else timestamp[:16]
            head.append(f"{stamp}{_pick(rng, ('  ', '　', ' '))}来源：{source}")
    if rng.random() < (0.7 if head[0] == breadcrumb else 0.2):
        head.append(f"点击数：{clicks}" if rng.random() < 0.7 else f"点击数:{clicks}  {_pick(rng, _NOISE_LINES)}")
    if rng.random() < 0.15:
        head.append(_pick(rng, _NOISE_LINES))

    reporter = " ".join(_name(rng) for _ in range(rng.randint(1, 3)))
    dateline = f"{_pick(rng, _AGENCIES)}{focus.name}{month}月{day}日电"
    r = rng.random()
    tail: list[str] = []
    lead = None
    if r < 0.45:  # dateline as an ending line
        forms = (dateline, f"（{dateline}）", f"{dateline}（记者{reporter}）", f"（{dateline} 记者 {reporter}）")
        tail.append(_pick(rng, forms))
    elif r < 0.6:  # dateline leading the body
        lead = f"{dateline}（记者{reporter}）"
    if rng.random() < 0.4:
        tail.append(f"责任编辑：{_name(rng)}" if rng.random() < 0.7 else f"（责任编辑：{_name(rng)}）")
    if rng.random() < 0.15:
        tail.append(f"（来源：{source}）")
    if rng.random() < 0.1:
        tail.append(_pick(rng, _NOISE_LINES))

    # Size the body so that the file lands roughly in 2–8 KB.
    bytes_per_char = 1.95 if fmt == "gbk" else 2.75
    target_bytes = rng.uniform(2100.0, 7800.0) - (1000.0 if fmt == "html" else 0.0)
    fixed = [*head, *tail, lead or ""]
    chars = target_bytes / bytes_per_char - sum(len(x) + 1 for x in fixed)
    chars = max(chars, 250.0)
    repeats = 1 if rng.random() < 0.35 else rng.randint(2, 6)
    if repeats == 1:
        n_block, n_intro, n_outro = rng.randint(3, 9), 0, 0
    else:
        n_block, n_intro, n_outro = rng.randint(2, 6), rng.randint(0, 2), _pick(rng, (0, 0, 1))
    while chars / (repeats * n_block + n_intro + n_outro) < 45:
        if repeats > 2:
            repeats -= 1
        elif n_block > 2:
            n_block -= 1
        elif n_intro or n_outro:
            n_intro = n_outro = 0
        else:
            break
    per_para = chars / (repeats * n_block + n_intro + n_outro)

    deck = _Deck(rng, style.templates)

    def para() -> tuple[str, ...]:
        return _paragraph(rng, style, deck, per_para * rng.uniform(0.6, 1.4))

    intro = [para() for _ in range(n_intro)]
    block = [para() for _ in range(n_block)]
    outro = [para() for _ in range(n_outro)]
    body = tuple(intro + block * repeats + outro)

    r = rng.random()
    if r < 0.65:
        seps = ("\n\n",) * len(body)
    elif r < 0.8:
        seps = ("\n",) * len(body)
    else:
        seps = tuple(_pick(rng, ("\n", "\n\n", "\n\n", "\n\n\n", " \n\n")) for _ in body)
    breaks: tuple[tuple[int, float], ...] = ()
    if rng.random() < 0.4:
        picked = sorted(rng.sample(range(len(body)), min(len(body), rng.randint(1, 3))))
        breaks = tuple((i, rng.uniform(0.15, 0.9)) for i in picked)
    truncate = rng.uniform(0.2, 0.85) if rng.random() < 0.15 else None

    return _Spec(
        fmt=fmt,
        style=style,
        title=title,
        head=tuple(head),
        lead=lead,
        breadcrumb=breadcrumb,
        clicks=clicks,
        timestamp=timestamp,
        source=source,
        body=body,
        seps=seps,
        breaks=breaks,
        tail=tuple(tail),
        truncate=truncate,
        indent=_pick(rng, ("", "", "", "　　", "　　", "  ", " ")),
        crlf=rng.random() < 0.08,
    )


def _spec(seed: int, i: int) -> _Spec:
    """The spec of document ``i``: new, an exact copy of an earlier one, or a near-duplicate."""
    rng = random.Random(f"yangtze-docs:{seed}:{i}")
    r = rng.random()
    if i >= 10 and r < 0.04:
        original = _spec(seed, rng.randrange(i))
        if r < 0.02:
            return original  # exact copy: renders to the same bytes
        body = list(original.body)
        k = rng.randrange(len(body))
        sentences = list(body[k])
        sentences[rng.randrange(len(sentences))] = _sentence(rng, original.style)
        body[k] = tuple(sentences)
        return replace(original, body=tuple(body))
    return _new_spec(rng)


def _paragraph_texts(spec: _Spec) -> list[str]:
    """Body paragraphs as rendered text, with mid-word breaks and truncation applied."""
    texts = [spec.indent + "".join(p) for p in spec.body]
    if spec.truncate is not None:
        last = texts[-1]
        texts[-1] = last[: max(len(spec.indent) + 3, int(len(last) * spec.truncate))]
    return texts


def _split_at(text: str, frac: float, indent: str) -> tuple[str, str]:
    pos = max(len(indent) + 2, min(len(text) - 2, int(len(text) * frac)))
    return text[:pos], text[pos:]


def _render_txt(spec: _Spec) -> str:
    texts = _paragraph_texts(spec)
    breaks = dict(spec.breaks)
    parts = ["\n".join(spec.head), "\n\n"]
    if spec.lead:
        parts.append(spec.lead + spec.seps[0])
    last = len(texts) - 1
    for idx, text in enumerate(texts):
        frac = breaks.get(idx)
        if frac is not None and len(text) > 8:
            a, b = _split_at(text, frac, spec.indent)
            text = f"{a}\n\n{b}"
        parts.append(text)
        if idx < last or spec.truncate is None:
            parts.append(spec.seps[idx])
    if spec.truncate is None and spec.tail:
        parts.append("\n".join(spec.tail))
        parts.append("\n")
    out = "".join(parts)
    return out.replace("\n", "\r\n") if spec.crlf else out


_NAV = (
    '<div class="nav"><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/local/">本地</a> | '
    '<a href="/finance/">财经</a> | <a href="/city/">城市</a> | <a href="/video/">视频</a></div>'
)
_FOOTER = (
    '<div class="footer">\n<p><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | '
    '<a href="/ad/">广告服务</a> | <a href="/sitemap/">网站地图</a></p>\n'
    "<p>版权所有 © {source} 未经授权禁止转载、摘编、复制或建立镜像</p>\n"
    '<p><a href="https://beian.miit.gov.cn/">{icp}</a></p>\n</div>'
)


def _render_html(spec: _Spec) -> str:
    esc = html.escape
    crumbs = [c.strip() for c in spec.breadcrumb.replace("：", ":").split(":")[-1].split(">")]
    links = [f'<a href="{"/" if k == 0 else f"/list_{k}.html"}">{esc(c)}</a>' for k, c in enumerate(crumbs[:-1])]
    crumb_html = " &gt; ".join([*links, esc(crumbs[-1])])
    title = esc(spec.title)
    texts = _paragraph_texts(spec)
    breaks = dict(spec.breaks)
    paras = []
    for idx, text in enumerate(texts):
        frac = breaks.get(idx)
        if frac is not None and len(text) > 8:
            a, b = _split_at(text, frac, spec.indent)
            paras.append(f"<p>{esc(a)}</p>\n<p>{esc(b)}</p>")
        else:
            paras.append(f"<p>{esc(text)}</p>")
    # Head lines other than the title (already in <h1>) become info lines.
    info = [line for line in spec.head if line != spec.title]
    tail = "" if spec.truncate is not None else "\n".join(f"<p>{esc(line)}</p>" for line in spec.tail)
    digest = hashlib.md5(spec.title.encode()).hexdigest()
    icp = f"{_PROVINCES[spec.style.focus.province][1]}ICP备{int(digest[:6], 16) % 90000000 + 10000000}号"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="zh-CN">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{title}_{esc(spec.source)}</title>",
            f'<meta name="keywords" content="{esc(_CLUSTER_FULL[spec.style.cluster])},{esc(spec.style.focus.name)}">',
            '<link rel="stylesheet" href="/static/css/article.css">',
            "</head>",
            "<body>",
            f'<div class="header">{_NAV}</div>',
            f'<div class="breadcrumb">当前位置：{crumb_html}</div>',
            '<div class="article">',
            f"<h1>{title}</h1>",
            f'<div class="info"><span class="time">{spec.timestamp}</span> <span class="source">来源：'
            f'{esc(spec.source)}</span> <span class="clicks">点击数：{spec.clicks}</span></div>',
            *(f'<div class="info">{esc(line)}</div>' for line in info),
            '<div class="content">',
            *([f"<p>{esc(spec.lead)}</p>"] if spec.lead else []),
            *paras,
            tail,
            "</div>",
            "</div>",
            _FOOTER.format(source=esc(spec.source), icp=icp),
            '<script src="/static/js/stat.js"></script>',
            "</body>",
            "</html>",
            "",
        ]
    )


def _document(seed: int, i: int) -> tuple[str, bytes]:
    spec = _spec(seed, i)
    if spec.fmt == "html":
        return ".html", _render_html(spec).encode("utf-8")
    text = _render_txt(spec)
    if spec.fmt == "gbk":
        return ".txt", text.encode("gbk")
    return ".txt", text.encode("utf-8")


def generate(out_dir: Path, count: int, seed: int = 0) -> list[Path]:
    """Write ``count`` synthetic documents into ``out_dir/documents/`` and return their paths in order.

    Deterministic for ``seed``: document ``i`` does not depend on ``count``.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    docs = Path(out_dir) / "documents"
    docs.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for i in range(count):
        ext, data = _document(seed, i)
        short = hashlib.md5(f"{seed}/{i}".encode()).hexdigest()[:8]
        path = docs / f"{i:06d}_{short}{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic Chinese news documents for benchmarks.")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="raw root; documents go to OUT_DIR/documents/")
    parser.add_argument("--count", type=int, required=True, help="number of documents")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    start = time.perf_counter()
    paths = generate(args.out_dir, args.count, args.seed)
    seconds = time.perf_counter() - start
    total = sum(p.stat().st_size for p in paths)
    print(
        f"generated {len(paths)} files, {total} bytes ({total / 1e6:.1f} MB) in {seconds:.2f} s "
        f"-> {args.out_dir / 'documents'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
