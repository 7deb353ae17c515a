"""`warehouse report`: a self-contained page whose charts are drawn, in Chromium, with the marts' numbers."""

import math

import pytest

from orchestration.serving.report import CLUSTER_CHARTS, write_report
from tests.browser import browser_page, save_screenshot

MARKS = """figures => figures.map(figure => ({
    id: figure.id,
    marks: [...figure.querySelectorAll('svg .mark')].map(mark => {
        const box = mark.getBoundingClientRect();
        return {series: mark.dataset.series, x: mark.dataset.x, status: mark.dataset.status,
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
    assert set(figures) == {chart.chart_id for chart in CLUSTER_CHARTS} | {"claims"}
    for chart_id, figure in figures.items():
        assert figure["marks"], f"{chart_id} has nothing drawn"
        assert all(mark["drawn"] for mark in figure["marks"]), chart_id
    assert requests == [path.as_uri()], "the report must not load anything beyond itself"


@pytest.mark.parametrize("chart", CLUSTER_CHARTS, ids=lambda chart: chart.chart_id)
def test_each_cluster_chart_shows_the_marts_values(rendered, published_default, chart):
    """A complete figure where the mart has one, else the figure over the members that reported, marked so."""
    figures, _, _ = rendered
    expected = {
        (cluster, str(year)): (value, complete)
        for cluster, year, value, complete in published_default.serving(
            f"select cluster_id, year, coalesce({chart.column}, {chart.reported_column}), {chart.column} is not null "
            f"from marts.mart_cluster_year where coalesce({chart.column}, {chart.reported_column}) is not null"
        )
    }
    marks = figures[chart.chart_id]["marks"]
    shown = {(mark["series"], mark["x"]): (mark["value"], mark["complete"] == "true") for mark in marks}
    assert shown.keys() == expected.keys()
    for key, (value, complete) in expected.items():
        assert math.isclose(shown[key][0], value, rel_tol=1e-12) and shown[key][1] == complete, key


def test_the_claims_chart_shows_every_claim_against_its_statistic(rendered, published_default):
    figures, _, _ = rendered
    expected = published_default.serving(
        "select claimed_value / official_value, status from marts.mart_claim_reconciliation "
        "where official_value is not null"
    )
    shown = [(mark["value"], mark["status"]) for mark in figures["claims"]["marks"]]
    assert expected, "the bundled documents should make claims the statistics can check"
    for (ratio, status), (want_ratio, want_status) in zip(sorted(shown), sorted(expected), strict=True):
        assert status == want_status and math.isclose(ratio, want_ratio, rel_tol=1e-12)
