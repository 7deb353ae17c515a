"""The code location as Dagster loads it: asset keys, checks, gating and schedules."""

import csv
import importlib.metadata
import shutil

import dagster as dg

from orchestration.config import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings
from tests.conftest import OBSERVATION_HEADER, REPO_RAW, run_refresh, sha256, warehouse_definitions

# Edit on purpose, in the same change as a renamed or new asset.
EXPECTED_ASSET_KEYS = [
    "intermediate/int_cities_unioned",
    "intermediate/int_document_near_duplicates",
    "intermediate/int_document_paragraphs_hashed",
    "intermediate/int_region_names",
    "intermediate/int_region_year_selected",
    "intermediate/int_statistics_resolved",
    "marts/dim_city",
    "marts/dim_cluster",
    "marts/dim_document",
    "marts/fct_city_year",
    "marts/fct_document_claims",
    "marts/fct_document_dates",
    "marts/fct_province_year",
    "marts/mart_claim_reconciliation",
    "marts/mart_cluster_year",
    "marts/mart_document_mentions",
    "marts/mart_quality_history",
    "marts/mart_quarantine",
    "raw/admin_divisions",
    "raw/check_history",
    "raw/document_claims",
    "raw/document_dates",
    "raw/document_files",
    "raw/document_mentions",
    "raw/document_paragraphs",
    "raw/document_quarantine",
    "raw/documents",
    "raw/prefecture_crosswalk",
    "raw/rule_failures",
    "raw/statistics_files",
    "raw/statistics_observations",
    "raw/statistics_quarantine",
    "seeds/city_name_variants",
    "seeds/cluster_members",
    "seeds/clusters",
    "seeds/place_aliases",
    "seeds/region_code_aliases",
    "seeds/regions",
    "serving/warehouse",
    "staging/stg_documents__claims",
    "staging/stg_documents__dates",
    "staging/stg_documents__documents",
    "staging/stg_documents__files",
    "staging/stg_documents__mentions",
    "staging/stg_documents__paragraphs",
    "staging/stg_documents__quarantine",
    "staging/stg_quality__check_history",
    "staging/stg_quality__rule_failures",
    "staging/stg_reference__admin_divisions",
    "staging/stg_reference__prefecture_crosswalk",
    "staging/stg_statistics__observations",
    "staging/stg_statistics__quarantine",
]


def test_definitions_load_with_the_expected_assets():
    defs = warehouse_definitions()
    dg.Definitions.validate_loadable(defs)
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    assert keys == EXPECTED_ASSET_KEYS


def test_dbt_sources_are_the_ingest_assets_and_groups_follow_layers():
    graph = warehouse_definitions().resolve_asset_graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_statistics__observations"]))
    assert dg.AssetKey(["raw", "statistics_observations"]) in staging.parent_keys
    assert graph.get(dg.AssetKey(["seeds", "clusters"])).group_name == "seeds"
    assert graph.get(dg.AssetKey(["marts", "mart_cluster_year"])).group_name == "marts"
    publish = graph.get(dg.AssetKey(["serving", "warehouse"]))
    assert {k.to_user_string() for k in publish.parent_keys} == {
        k for k in EXPECTED_ASSET_KEYS if k.startswith("marts/")
    }


def test_every_error_level_dbt_test_and_the_ge_suite_are_blocking_checks():
    specs = {
        spec.key.to_user_string(): spec
        for assets_def in warehouse_definitions().assets
        for spec in getattr(assets_def, "check_specs", [])
    }
    specs.update(
        {spec.key.to_user_string(): spec for c in warehouse_definitions().asset_checks for spec in c.check_specs}
    )
    non_blocking = sorted(k for k, s in specs.items() if not s.blocking)
    # the warn-level tests (see their yml comments): two files disagreeing on a figure, and a document cut
    # off mid-sentence, are seen but do not hold a refresh back
    # and the freshness check, which warns when the published warehouse is older than a day and two hours
    assert non_blocking == [
        "marts/dim_document:documents_are_complete",
        "marts/fct_city_year:sources_agree_on_city_year",
        "serving/warehouse:serving_is_fresh",
    ]
    for expected in (
        "raw/statistics_observations:statistics_observations_expectations",
        "marts/fct_city_year:no_city_year_counted_twice",
        "marts/mart_cluster_year:assert_cluster_totals_equal_member_sums",
        "marts/mart_cluster_year:gdp_per_capita_plausible",
        "staging/stg_statistics__observations:no_negative_gdp_or_population",
        "marts/dim_document:every_document_has_text",
        "marts/dim_document:unique_dim_document_document_id",
        "marts/fct_document_claims:claims_point_at_paragraphs_fct_document_claims_",
    ):
        assert specs[expected].blocking, expected


def test_daily_schedule_runs_the_full_refresh_in_beijing_time():
    schedule = warehouse_definitions().resolve_schedule_def("warehouse_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 2 * * *",
        "Asia/Shanghai",
        "warehouse_refresh_job",
    )


def test_settings_resolve_relative_roots_against_the_project():
    settings = load_settings({"WAREHOUSE_RAW_ROOTS": "raw:../shared/raw", "WAREHOUSE_DIR": "out"})
    assert settings.raw_roots == (PROJECT_ROOT / "raw", (PROJECT_ROOT / "../shared/raw").resolve())
    assert settings.serving_path == PROJECT_ROOT / "out" / "serving.duckdb"
    assert load_settings({}).raw_roots == (PROJECT_ROOT / "raw",)


def test_a_failing_dbt_test_holds_the_publish(tmp_path, make_root, published_default):
    """Figures that pass the raw suite but make an implausible mart: GDP 50 亿元 per 40 million people."""
    with open(DBT_PROJECT_DIR / "seeds" / "cluster_members.csv", encoding="utf-8") as handle:
        members = [row for row in csv.DictReader(handle) if row["cluster_id"] == "cy"]
    rows = "".join(
        f"{m['city_code']},{m['city_name_zh']},,2015,{indicator},{value},{unit},test\n"
        for m in members
        for indicator, value, unit in (("gdp", 50, "亿元"), ("population_year_end", 4000, "万人"))
    )
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir)
    before = sha256(warehouse_dir / "serving.duckdb")

    refresh = run_refresh(warehouse_dir, REPO_RAW, make_root({"implausible.csv": f"{OBSERVATION_HEADER}\n{rows}"}))

    assert not refresh.result.success
    failed = refresh.failed_checks()
    assert "gdp_per_capita_plausible" in failed
    assert "statistics_observations_expectations" not in failed
    assert "serving/warehouse" not in refresh.materialized
    assert sha256(warehouse_dir / "serving.duckdb") == before


def test_only_the_newest_dbt_invocation_folders_are_kept(tmp_path):
    import os

    from orchestration.defs.transform import prune_invocation_folders

    for index in range(12):
        folder = tmp_path / f"warehouse_models-{index:02d}"
        folder.mkdir()
        os.utime(folder, (1_000_000 + index, 1_000_000 + index))
    (tmp_path / "manifest.json").write_text("{}")
    prune_invocation_folders(tmp_path, keep=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"] + [
        f"warehouse_models-{i:02d}" for i in range(2, 12)
    ]


def test_the_dbt_resource_skips_only_what_dagster_dbt_would_redo_per_run():
    """WarehouseDbt overrides two private methods of dagster-dbt's resource (the `dbt --version`
    process and an in-process adapter); if an upgrade renames them, the overrides would silently do
    nothing, so this names them."""
    from dagster_dbt import DbtCliResource

    from orchestration.defs.resources import WarehouseDbt, build_resources

    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), f"dagster-dbt no longer has DbtCliResource.{name}"
    dbt = build_resources(load_settings())["dbt"]
    assert isinstance(dbt, WarehouseDbt)
    assert str(dbt._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
