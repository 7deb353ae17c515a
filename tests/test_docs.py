"""What analysts read: every mart and column described in dbt, and the docs site that opens offline."""

import json

from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.config import DBT_PROJECT_DIR
from tests.browser import browser_page, save_screenshot


def test_every_published_mart_and_column_is_described(published_default):
    """Each dbt mart and column in its yml (so the docs site shows it), and the same text as its comment in
    serving.duckdb, where BI tools and ``duckdb_columns()`` read it; the quality history, which publish
    writes, is described there too."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    described = {
        node["name"]: (
            node["description"].strip(),
            {c: spec["description"].strip() for c, spec in node["columns"].items()},
        )
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    tables = dict(
        published_default.serving("select table_name, comment from duckdb_tables() where schema_name = 'marts'")
    )
    published: dict[str, dict[str, str]] = {}
    for table, column, comment in published_default.serving(
        "select table_name, column_name, comment from duckdb_columns() where schema_name = 'marts'"
    ):
        published.setdefault(table, {})[column] = comment
    assert set(published) == set(described) | {"mart_quality_history"}
    for name, columns in published.items():
        assert len(tables[name] or "") > 40, f"{name} needs a description (grain, source, caveats)"
        assert all(columns.values()), f"{name}: {[c for c, d in columns.items() if not d]} have no comment"
        if name in described:
            description, documented = described[name]
            assert tables[name] == description, f"{name}: its comment is not its dbt description"
            assert documented == columns, f"{name}: the published columns or comments differ from the yml"
    assert published["dim_city"]["city_code"] == "6-digit GB/T 2260 code (NBS 统计用区划代码 2023 edition)."


def test_the_docs_site_is_one_file_that_opens_offline(published_default, monkeypatch):
    settings = published_default.settings
    monkeypatch.setenv("WAREHOUSE_DIR", str(settings.warehouse_dir))
    result = CliRunner().invoke(app, ["docs"])
    assert result.exit_code == 0, result.output
    assert settings.docs_path.is_file()
    external: list[str] = []
    with browser_page(width=1400, height=900) as page:
        page.route("http*://**", lambda route: (external.append(route.request.url), route.abort()))
        page.goto(f"{settings.docs_path.as_uri()}#!/model/model.yangtze_warehouse.mart_cluster_year")
        page.get_by_text("gdp_per_capita_reported_yuan").first.wait_for(timeout=30_000)
        page.get_by_text("One row per cluster, year and view").first.wait_for(timeout=30_000)
        details = page.inner_text("body")  # the model's details: its owner, from meta.owner
        assert "OWNER\nanalytics-engineering" in details, details[:2000]
        save_screenshot(page.screenshot(), "dbt_docs.png")
    assert external == [], "the docs site must not need the network"
