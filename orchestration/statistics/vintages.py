"""Which release of a figure a table gives (its vintage) and when it was published.

The same city-year is published several times: the statistical bulletin's first release (统计公报,
初步核算), the yearbook's final figure (最终核实), a revision after an economic census (修订), a census
count (普查); a table that does not say is ``unstated``. A table says it in a column (vintage, 口径, 版本
…) or in a line above its header (``口径：最终核实``), and the date in a column or line such as 发布日期.
"""

from __future__ import annotations

import datetime as dt
import re

from orchestration.statistics.units import ValueProblem, normalise_label

VINTAGES = ("first_release", "final", "revised", "census", "unstated")
_SPELLINGS = {
    "first_release": ("初步核算", "初步核算数", "初步数", "快报", "公报", "统计公报", "初值", "first", "bulletin"),
    "final": ("最终核实", "最终核实数", "最终数", "核实数", "年鉴", "统计年鉴", "终值", "yearbook"),
    "revised": ("修订", "修订数", "修订后", "经济普查修订", "普查修订", "revision"),
    "census": ("普查", "人口普查", "普查数", "普查登记"),
    "unstated": ("未说明", "不详", "unknown"),
}
VINTAGE_OF = {normalise_label(s): v for v, spellings in _SPELLINGS.items() for s in (v, *spellings)}
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def parse_vintage(text: str) -> str:
    """The vintage a cell or line names; ValueProblem naming the known ones if it names none."""
    vintage = VINTAGE_OF.get(normalise_label(text))
    if vintage is None:
        raise ValueProblem(f"unknown vintage {text!r}; expected one of {', '.join(VINTAGES)} (or 初步核算, 最终核实 …)")
    return vintage


def parse_published_on(text: str) -> str:
    """An ISO date (2018-02-26) from 2018-02-26, 2018/2/26 or 2018年2月26日; ValueProblem otherwise."""
    match = _DATE.fullmatch(normalise_label(text).removesuffix("00:00:00"))
    try:
        if match is None:
            raise ValueError
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        raise ValueProblem(f"not a publication date (expected YYYY-MM-DD): {text!r}") from None
