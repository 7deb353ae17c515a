"""The report's claims check: every claim of the documents with a statistic to compare with, one dot and
one table row per claim (however many documents make it), labelled in Chinese, coloured by its status."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import altair as alt

from orchestration.serving.charts import MARKS, chart_html, empty_html
from orchestration.serving.figure import figure_html, number, table_html

# a claim's status (the marts' status column): how the legend and the table name it, and its colour
STATUSES = {
    "agrees": ("agrees", "#2ca02c"),
    "differs": ("differs", "#d62728"),
    "incomplete": ("incomplete", "#ff7f0e"),
    "no_statistic": ("no statistic", "#7f7f7f"),
}
# the Chinese words of a claim's label: metrics (mart_claim_reconciliation.metric and the scope mart's
# indicator), kinds of claim about several places (claim_type) and the scopes that are not clusters (a
# cluster is named from dim_cluster; "clusters" are those the sentence names)
CLAIM_WORDS = {
    "gdp": "地区生产总值",
    "growth": "地区生产总值增速",
    "population": "常住人口",
    "count": "城市数",
    "aggregate": "合计",
    "share": "占全国比重",
    "rank": "城市排名",
    "clusters": "文中所列城市群",
    "east": "东部地区",
    "central": "中部地区",
    "west": "西部地区",
    "northeast": "东北地区",
    "changzhutan": "长株潭",
    "greater_changzhutan": "环长株潭城市群",
    "wuhan_circle": "武汉城市圈",
}
THRESHOLD_UNITS = {"gdp": "yuan", "population": "persons"}  # the unit of a count's or rank's threshold
# how a quantity in a base unit of the marts is printed: divided by, decimals, unit written
UNITS = {
    "yuan": (1e8, 1, " 亿元"),
    "persons": (1e4, 1, " 万人"),
    "percent": (1, 1, "%"),
    "count": (1, 0, ""),
    "rank": (1, 0, ""),
}

# one row per claim about one place, and per claim about several (a count, a sum, a share or a rank),
# however many documents (near-duplicate copies of one text, often) make it
CLAIMS_SQL = """
with claims as (
    select entity_code as subject, entity_name as subject_name, metric, null as claim_type, null as threshold,
           year, claimed_value, unit, qualifier, official_value, status, document_id
    from marts.mart_claim_reconciliation
    union all
    select coalesce(s.scope_code, s.scope_type), coalesce(c.cluster_short_name_zh, s.scope_code, s.scope_type),
           s.indicator, s.claim_type, s.threshold, s.year, s.claimed_value, s.unit, s.qualifier, s.official_value,
           s.status, s.document_id
    from marts.mart_scope_claim_reconciliation as s
    left join marts.dim_cluster as c on c.cluster_id = s.scope_code
)
select min(subject_name), metric, claim_type, threshold, year, claimed_value, unit, qualifier, official_value, status,
       count(distinct document_id) as documents
from claims
group by subject, metric, claim_type, threshold, year, claimed_value, unit, qualifier, official_value, status
order by status, min(subject_name), metric, claim_type, year, claimed_value
"""


def dot_chart(rows: Sequence[dict], low: float = 0.5, high: float = 1.5) -> str:
    """One row per claim (label, ratio, status, tooltip): a dot at claimed ÷ official (1 means the claim
    matches the statistic) in its status's colour; under the chart, a key of the statuses drawn."""
    if not rows:
        return empty_html("no claim to draw")
    counts = Counter(row["status"] for row in rows)
    drawn = list(dict.fromkeys(row["status"] for row in rows))
    keys = {status: f"{_status(status)[0]} ({counts[status]})" for status in drawn}
    values = [{**row, "shown": _clip(row["value"], low, high), "key": keys[row["status"]]} for row in rows]
    dots = (
        alt.Chart(alt.InlineData(values=values))
        .mark_circle(size=64, opacity=1)
        .encode(
            y=alt.Y(
                "row:N",
                title=None,
                sort=list(dict.fromkeys(row["row"] for row in rows)),
                axis=alt.Axis(labelLimit=400, labelFontSize=12, labelColor="#222"),
            ),
            x=alt.X(
                "shown:Q",
                title="claimed ÷ official",
                scale=alt.Scale(domain=[low, high], zero=False, nice=False),
                axis=alt.Axis(values=[0.5, 0.75, 1, 1.25, 1.5], labelExpr="datum.value + '×'", grid=True),
            ),
            color=alt.Color(
                "key:N",
                scale=alt.Scale(domain=list(keys.values()), range=[_status(status)[1] for status in keys]),
                legend=alt.Legend(title="status", orient="bottom", direction="horizontal"),
            ),
            description="label:N",
            tooltip=[alt.Tooltip("row:N", title="claim"), alt.Tooltip("detail:N", title="checked")],
        )
        .properties(name=MARKS)
    )
    one = alt.Chart().mark_rule(color="#333").encode(x=alt.datum(1))
    return chart_html(alt.layer(one, dots).properties(width=300, height=alt.Step(22)))


def _clip(value: float | None, low: float, high: float) -> float | None:
    return None if value is None else min(max(value, low), high)


def _status(status: str) -> tuple[str, str]:
    """A claim status's name and colour."""
    return STATUSES.get(status, (status, "#555"))


def _claim_label(name: str, metric: str, claim_type: str | None, threshold: float | None, year: int | None) -> str:
    """A claim in the reader's words: 上海市 2020年 地区生产总值, 长三角 2020年 地区生产总值占全国比重,
    文中所列城市群 2017年 地区生产总值≥10,000.0 亿元的城市数."""
    what = CLAIM_WORDS.get(metric, metric)
    if threshold is not None:
        what += f"≥{_quantity(threshold, THRESHOLD_UNITS.get(metric, ''))}的"
    what += CLAIM_WORDS.get(claim_type, claim_type or "")
    return " ".join([CLAIM_WORDS.get(name, name), *([] if year is None else [f"{year}年"]), what])


def _quantity(value: float, unit: str) -> str:
    """A value in a base unit of the marts as the page prints it: 27,470.0 亿元, 1,234.5 万人, 8.9%, 9."""
    scale, digits, written = UNITS.get(unit, (1, 2, f" {unit}"))
    return number(value / scale, digits) + written


def claims_figure(claims: Sequence[tuple]) -> str:
    rows, table, no_statistic = [], [], 0
    for name, metric, claim_type, threshold, year, claimed, unit, qualifier, official, status, documents in claims:
        if official is None:
            no_statistic += 1
            continue
        ratio = claimed / official if official else math.nan
        label = _claim_label(name, metric, claim_type, threshold, year)
        stated = _quantity(claimed, unit) + (f" ({qualifier})" if qualifier else "")
        title = (
            f"{label}: claimed {stated}, official {_quantity(official, unit)} — {_status(status)[0]}; "
            f"in {documents} document{'s' if documents > 1 else ''}"
        )
        # the qualifier tells apart the chart's rows of a place, metric and year: 约3.87万亿元 and 38,700.58亿元
        row = label + (f"（{qualifier}）" if qualifier else "")
        detail = title.removeprefix(f"{label}: ")
        value = ratio if math.isfinite(ratio) else None  # an official figure of 0: no dot, the table says so
        rows.append({"row": row, "value": value, "status": status, "label": title, "detail": detail})
        table.append((label, documents, stated, _quantity(official, unit), f"{ratio:.4f}", _status(status)[0]))
    caption = (
        "Each quantity a document states about a place, metric and year, set against the published statistic "
        "(dots outside 0.5–1.5× are drawn at the edge), and each claim about several places: a count of cities, "
        "a combined figure, a share or a rank (counted over members; incomplete when some lack a figure). "
        "A claim several documents make (near-duplicate copies of one text, often) is one row; the table says "
        f"how many make it. Claims with no statistic to compare with, not drawn: {no_statistic}. 'At least' claims "
        "(超过, 以上) agree when the statistic is at least the claimed value."
    )
    header = ("claim", "docs", "claimed", "official", "claimed ÷ official", "status")
    return figure_html(
        "claims", "Do the documents agree with the statistics?", dot_chart(rows), table_html(header, table), caption
    )
