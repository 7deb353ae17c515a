"""`warehouse report`: a self-contained page whose charts are drawn, in Chromium, with the marts' numbers."""

import math
import re
from collections import Counter

import pytest

from orchestration.serving.claims_chart import STATUSES
from orchestration.serving.figure import number
from orchestration.serving.report import CLUSTER_CHARTS, STRUCTURE_YEARS, write_report
from tests.browser import browser_page, save_screenshot

# a chart's data marks (Vega draws them in the group of the marks named "values") carry their datum: the mart
# value and the keys the marts are compared on; the map's shapes (inline SVG) carry theirs in data- attributes
MARKS = """figures => figures.map(figure => {
    const drawn = element => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.height > 0;
    };
    const colours = symbol => [...symbol.querySelectorAll('[fill], [stroke]')].flatMap(e => [e.getAttribute('fill'),
                                                                                                e.getAttribute('stroke')]);
    return {
        id: figure.id,
        marks: [
            ...[...figure.querySelectorAll('svg g.values_marks > *')].map(mark => ({
                ...mark.__data__.datum, fill: mark.getAttribute('fill'), fillOpacity: mark.getAttribute('fill-opacity'),
                label: mark.getAttribute('aria-label'), drawn: drawn(mark)})),
            ...[...figure.querySelectorAll('svg path.mark')].map(mark => ({
                series: mark.dataset.series, cityCode: mark.dataset.cityCode, partial: mark.dataset.partial === 'true',
                value: Number(mark.dataset.value), fill: mark.getAttribute('fill'), drawn: drawn(mark)})),
        ],
        keys: [
            ...[...figure.querySelectorAll('svg .role-legend-symbol')].map(symbol => ({
                label: symbol.parentElement.querySelector('.role-legend-label').textContent.trim(),
                colours: colours(symbol)})),
            ...[...figure.querySelectorAll('svg .key')].map(key => ({label: key.textContent.trim(),
                                                                   colours: colours(key)})),
        ],
        labels: [...figure.querySelectorAll('svg .role-axis-label text')].map(text => text.textContent),
        rows: [...figure.querySelectorAll('tbody tr')].map(row => [...row.cells].map(cell => cell.textContent)),
    };
})"""
FIGURE_TEXT = """figures => figures.map(figure => {
    const text = figure.cloneNode(true);
    text.querySelectorAll('script').forEach(script => script.remove());
    return text.textContent;
})"""
# one row per claim (place or scope, metric, kind, year, claimed value, qualifier, status) and document
CLAIM_DOCUMENTS = """
select entity_code, metric, null, year, claimed_value, qualifier, status, official_value, document_id
from marts.mart_claim_reconciliation where official_value is not null
union
select coalesce(scope_code, scope_type), indicator, claim_type, year, claimed_value, qualifier, status, official_value,
       document_id
from marts.mart_scope_claim_reconciliation where official_value is not null
"""


@pytest.fixture(scope="module")
def rendered(published_default, tmp_path_factory):
    path = write_report(published_default.settings.serving_path, tmp_path_factory.mktemp("report") / "report.html")
    requests: list[str] = []
    with browser_page(width=800, height=1000) as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.charts", timeout=60_000)
        assert page.evaluate("document.body.dataset.charts") == "drawn", "vega-embed failed to draw the charts"
        figures = {f["id"]: f for f in page.eval_on_selector_all("figure.chart", MARKS)}
        save_screenshot(page.screenshot(full_page=True), "report.png")
        save_screenshot(page.screenshot(), "report_top.png")  # the first screen, for the README
        # the figures' text, the marks' descriptions and the tables, closed, included, but not the charts'
        # specifications (their data sets are named by hashes); the page's header names the refresh by its UUID,
        # whose digits and letters may read as 4e-3
        text = "\n".join(
            page.eval_on_selector_all("figure", FIGURE_TEXT)
            + page.eval_on_selector_all("figure [aria-label]", "marks => marks.map(m => m.getAttribute('aria-label'))")
        )
        tooltip = _hover_last_mark(page, "gdp")
        actions = page.eval_on_selector_all(
            "figure.chart", "figures => figures.map(f => [...f.querySelectorAll('.vega-actions a')].map(a => a.text))"
        )
    return figures, requests, path, text, tooltip, actions


def _hover_last_mark(page, chart_id: str) -> str:
    """The tooltip's text with the pointer on the chart's last mark (drawn last, so on top)."""
    page.eval_on_selector(f"#{chart_id}", "figure => figure.scrollIntoView()")
    x, y = page.eval_on_selector(
        f"#{chart_id} g.values_marks > :last-child",
        "mark => { const box = mark.getBoundingClientRect(); return [box.x + box.width / 2, box.y + box.height / 2]; }",
    )
    page.mouse.move(x, y)
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible", timeout=10_000)
    return tooltip.inner_text()


def test_every_chart_is_drawn_and_the_page_fetches_nothing(rendered):
    figures, requests, path, *_ = rendered
    assert set(figures) == {chart.chart_id for chart in CLUSTER_CHARTS} | {
        "cluster_map",
        "industry_structure",
        "claims",
    }
    for chart_id, figure in figures.items():
        assert figure["marks"], f"{chart_id} has nothing drawn"
        assert all(mark["drawn"] for mark in figure["marks"]), chart_id
    assert requests == [path.as_uri()], "the report must not load anything beyond itself"


@pytest.mark.parametrize("chart", CLUSTER_CHARTS, ids=lambda chart: chart.chart_id)
def test_each_cluster_chart_shows_the_marts_values(rendered, published_default, chart):
    """Both views, every year: a complete figure where the mart has one, else the figure over the members that
    reported, marked so."""
    figures, *_ = rendered
    expected = {
        (cluster, view, str(year)): (value, complete)
        for cluster, view, year, value, complete in published_default.serving(
            f"select cluster_id, statistics_view, year, coalesce({chart.column}, {chart.reported_column}), "
            f"{chart.column} is not null from marts.mart_cluster_year "
            f"where coalesce({chart.column}, {chart.reported_column}) is not null"
        )
    }
    assert {view for _, view, _ in expected} == {"latest", "first_published"}
    # the long series, 2000 on; a share of national GDP only where the nation's GDP is bundled (2016-2020)
    assert len({year for *_, year in expected}) >= (5 if chart.chart_id == "share_of_national_gdp" else 20)
    marks = figures[chart.chart_id]["marks"]
    shown = {(m["series"], m["view"], str(m["x"])): m for m in marks}
    assert len(shown) == len(marks) and shown.keys() == expected.keys()
    for key, (value, complete) in expected.items():
        mark = shown[key]
        assert math.isclose(mark["value"], value, rel_tol=1e-12) and mark["complete"] == complete, key
        assert (mark["fill"] == "white") == (not complete), f"{key}: a hollow mark is the members that reported"
        # its description, which screen readers and the text check read, prints the value in the chart's unit
        assert f"{number(value / chart.scale, chart.digits)} {chart.unit}" in mark["label"], key


def test_the_claims_chart_shows_every_claim_against_its_statistic(rendered, published_default):
    """One dot and one table row per claim, however many documents make it: the bundled near-duplicate
    documents repeat claims, which the table counts."""
    figures, *_ = rendered
    documents = Counter(row[:-1] for row in published_default.serving(CLAIM_DOCUMENTS))
    expected = [(claimed / official, status) for *_, claimed, _, status, official in documents]
    assert {"agrees", "incomplete"} <= {status for _, status in expected}  # the claims about several places too
    assert max(documents.values()) > 1, "the bundled near-duplicate documents should repeat a claim"
    claims = figures["claims"]
    shown = [(mark["value"], mark["status"]) for mark in claims["marks"]]
    assert expected, "the bundled documents should make claims the statistics can check"
    assert len(shown) == len(expected), "one dot per claim"
    for (ratio, status), (want_ratio, want_status) in zip(sorted(shown), sorted(expected), strict=True):
        assert status == want_status and math.isclose(ratio, want_ratio, rel_tol=1e-12)
    rows, chart_labels = claims["rows"], [label for label in claims["labels"] if "年" in label]
    assert len(rows) == len(expected) and len(set(map(tuple, rows))) == len(rows), "a claim listed twice"
    assert len(set(chart_labels)) == len(chart_labels) == len(expected), "two rows of the chart look the same"
    assert sorted(int(row[1]) for row in rows) == sorted(documents.values())


def test_claims_are_labelled_in_chinese(rendered):
    """Place, year and metric in Chinese words (上海市 2020年 地区生产总值), no column identifier (gdp, yrd, count)."""
    claims = rendered[0]["claims"]
    labels = [row[0] for row in claims["rows"]] + [label for label in claims["labels"] if "年" in label]
    assert len(labels) == 2 * len(claims["marks"])
    assert "上海市 2020年 地区生产总值" in labels
    assert [label for label in labels if re.search("[A-Za-z]", label)] == []


def test_every_colour_has_a_legend_entry(rendered):
    """Each fill colour a chart's marks use is in its legend; the claims chart names each status it draws."""
    figures = rendered[0]
    for chart_id, figure in figures.items():
        key_colours = {colour for key in figure["keys"] for colour in key["colours"]}
        assert {mark["fill"] for mark in figure["marks"]} <= key_colours, chart_id
    keys = {key["label"].split(" (")[0]: key["colours"] for key in figures["claims"]["keys"]}
    for status in {mark["status"] for mark in figures["claims"]["marks"]}:
        name, colour = STATUSES[status]
        assert colour in keys.get(name, []), f"no legend entry for {status}"


def test_numbers_are_printed_in_the_readers_units(rendered):
    """亿元 and 万人 with digit grouping, never 2.747e+12 or 1e+12, in the charts, their tooltips or their tables."""
    figures, _, _, text, *_ = rendered
    assert re.findall(r"\d(?:\.\d+)?[eE][+-]?\d+", text) == []
    assert any(row[2].endswith("亿元") and "," in row[2] for row in figures["claims"]["rows"])


def test_a_mark_has_a_tooltip_and_a_chart_can_be_exported(rendered):
    """Hover: the figure with its cluster, in 亿元 with digit grouping; each chart's menu saves it as SVG or PNG
    (no action that would open a site: the page works offline)."""
    _, _, _, _, tooltip, actions = rendered
    assert "亿元" in tooltip and re.search(r"\d{1,3}(,\d{3})+ 亿元", tooltip), tooltip
    assert re.search("长三角|长江中游|成渝", tooltip), tooltip
    drawn_by_vega = [links for links in actions if links]
    assert len(drawn_by_vega) == len(CLUSTER_CHARTS) + 2, "every chart but the map has an actions menu"
    assert all(set(links) == {"Save as SVG", "Save as PNG"} for links in drawn_by_vega), actions


def test_the_industry_structure_chart_shows_the_marts_sector_shares(rendered, published_default):
    figures, *_ = rendered
    shown = {(m["series"], int(m["x"]), m["sector"]): m["value"] for m in figures["industry_structure"]["marks"]}
    rows = published_default.serving(
        "select cluster_id, year, primary_sector_share, secondary_sector_share, tertiary_sector_share "
        "from marts.mart_cluster_year where statistics_view = 'latest' and tertiary_sector_share is not null"
    )
    last = {cluster: max(year for c, year, *_ in rows if c == cluster) for cluster, *_ in rows}
    expected = {
        (cluster, year, sector): share
        for cluster, year, *shares in rows
        if year in STRUCTURE_YEARS or year == last[cluster]
        for sector, share in zip(("primary", "secondary", "tertiary"), shares, strict=True)
    }
    assert {cluster for cluster, *_ in expected} >= {"yrd", "cy"}
    assert shown.keys() == expected.keys()
    for key, share in expected.items():
        assert math.isclose(shown[key], share, rel_tol=1e-12), key


def test_the_map_draws_every_member_with_its_code_and_the_marts_value(rendered, published_default):
    """One shape per member city (73), each carrying its city code and its GDP per person in the latest view
    (the default measure) of the latest year in which every member has one; partial members marked."""
    figures, *_ = rendered
    shapes = figures["cluster_map"]["marks"]
    members = dict(published_default.serving("select city_code, coverage from marts.dim_city where is_cluster_member"))
    assert len(members) == 73 and sorted(m["cityCode"] for m in shapes) == sorted(members)
    assert all(m["drawn"] for m in shapes)
    assert {m["cityCode"] for m in shapes if m["partial"]} == {c for c, v in members.items() if v == "part"}
    [(year,)] = published_default.serving(  # the latest year in which every cluster's total is complete
        "select max(year) from (select year from marts.mart_cluster_year where statistics_view = 'latest' "
        "group by year having count(gdp_per_capita_yuan) = 3)"
    )
    expected = dict(
        published_default.serving(
            "select city_code, gdp_yuan / population_persons from marts.mart_cluster_member_year "
            f"where statistics_view = 'latest' and year = {year}"
        )
    )
    assert len(expected) == 73
    for shape in shapes:
        assert math.isclose(shape["value"], expected[shape["cityCode"]], rel_tol=1e-12), shape["cityCode"]
    assert {m["series"] for m in shapes} == {"yrd", "myr", "cy"}
