"""`warehouse report`: a self-contained page whose charts are drawn, in Chromium, with the marts' numbers."""

import math

import pytest

from orchestration.serving.report import CLUSTER_CHARTS, STRUCTURE_YEARS, write_report
from tests.browser import browser_page, save_screenshot

MARKS = """figures => figures.map(figure => ({
    id: figure.id,
    marks: [...figure.querySelectorAll('svg .mark')].map(mark => {
        const box = mark.getBoundingClientRect();
        return {series: mark.dataset.series, view: mark.dataset.view, x: mark.dataset.x, status: mark.dataset.status,
                sector: mark.dataset.sector, cityCode: mark.dataset.cityCode, partial: mark.dataset.partial,
                complete: mark.dataset.complete,
                value: Number(mark.dataset.value), drawn: box.width > 0 && box.height > 0};
    }),
}))"""


@pytest.fixture(scope="module")
def rendered(published_default, tmp_path_factory):
    path = write_report(published_default.settings.serving_path, tmp_path_factory.mktemp("report") / "report.html")
    requests: list[str] = []
    with browser_page(width=800, height=1000) as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        figures = {f["id"]: f for f in page.eval_on_selector_all("figure.chart", MARKS)}
        save_screenshot(page.screenshot(full_page=True), "report.png")
    return figures, requests, path


def test_every_chart_is_drawn_and_the_page_fetches_nothing(rendered):
    figures, requests, path = rendered
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
    figures, _, _ = rendered
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
    shown = {(m["series"], m["view"], m["x"]): (m["value"], m["complete"] == "true") for m in marks}
    assert shown.keys() == expected.keys()
    for key, (value, complete) in expected.items():
        assert math.isclose(shown[key][0], value, rel_tol=1e-12) and shown[key][1] == complete, key


def test_the_claims_chart_shows_every_claim_against_its_statistic(rendered, published_default):
    figures, _, _ = rendered
    expected = published_default.serving(
        "select claimed_value / official_value, status from marts.mart_claim_reconciliation "
        "where official_value is not null union all "
        "select claimed_value / official_value, status from marts.mart_scope_claim_reconciliation "
        "where official_value is not null"
    )
    assert {"agrees", "incomplete"} <= {status for _, status in expected}  # the claims about several places too
    shown = [(mark["value"], mark["status"]) for mark in figures["claims"]["marks"]]
    assert expected, "the bundled documents should make claims the statistics can check"
    for (ratio, status), (want_ratio, want_status) in zip(sorted(shown), sorted(expected), strict=True):
        assert status == want_status and math.isclose(ratio, want_ratio, rel_tol=1e-12)


def test_the_industry_structure_chart_shows_the_marts_sector_shares(rendered, published_default):
    figures, _, _ = rendered
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
    figures, _, _ = rendered
    shapes = figures["cluster_map"]["marks"]
    members = dict(published_default.serving("select city_code, coverage from marts.dim_city where is_cluster_member"))
    assert len(members) == 73 and sorted(m["cityCode"] for m in shapes) == sorted(members)
    assert all(m["drawn"] for m in shapes)
    assert {m["cityCode"] for m in shapes if m["partial"] == "true"} == {c for c, v in members.items() if v == "part"}
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
