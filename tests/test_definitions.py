"""The code location as Dagster loads it: asset keys, checks, gating and schedules."""

import csv
import json
import shutil

import dagster as dg

from orchestration.config import DBT_PROJECT_DIR, PROJECT_ROOT, load_settings
from tests.conftest import OBSERVATION_HEADER, REPO_RAW, run_refresh, sha256, warehouse_definitions

# Edit on purpose, in the same change as a renamed or new asset.
EXPECTED_ASSET_KEYS = [
    "intermediate/int_admin_divisions_accepted",
    "intermediate/int_cities_unioned",
    "intermediate/int_document_claims_deduplicated",
    "intermediate/int_document_dates_deduplicated",
    "intermediate/int_document_mentions_deduplicated",
    "intermediate/int_document_near_duplicates",
    "intermediate/int_document_paragraphs_deduplicated",
    "intermediate/int_document_paragraphs_hashed",
    "intermediate/int_documents_deduplicated",
    "intermediate/int_place_year_figures_first_published",
    "intermediate/int_rank_claims_compared",
    "intermediate/int_region_names",
    "intermediate/int_region_year_selected",
    "intermediate/int_region_year_views",
    "intermediate/int_scope_claim_members",
    "intermediate/int_scope_claims",
    "intermediate/int_scope_claims_compared",
    "intermediate/int_statistics_observations_accepted",
    "intermediate/int_statistics_resolved",
    "marts/dim_city",
    "marts/dim_city_boundary",
    "marts/dim_cluster",
    "marts/dim_document",
    "marts/dim_statistics_file",
    "marts/fct_city_year",
    "marts/fct_document_claims",
    "marts/fct_document_dates",
    "marts/fct_province_year",
    "marts/mart_claim_reconciliation",
    "marts/mart_cluster_member_year",
    "marts/mart_cluster_year",
    "marts/mart_document_mentions",
    "marts/mart_quarantine",
    "marts/mart_scope_claim_reconciliation",
    "raw/admin_divisions",
    "raw/document_claims",
    "raw/document_dates",
    "raw/document_files",
    "raw/document_mentions",
    "raw/document_paragraphs",
    "raw/document_quarantine",
    "raw/document_rule_failures",
    "raw/documents",
    "raw/prefecture_crosswalk",
    "raw/reference_rule_failures",
    "raw/statistics_boundaries",
    "raw/statistics_files",
    "raw/statistics_observations",
    "raw/statistics_quarantine",
    "raw/statistics_rule_failures",
    "seeds/city_name_variants",
    "seeds/cluster_members",
    "seeds/clusters",
    "seeds/indicators",
    "seeds/place_aliases",
    "seeds/region_code_aliases",
    "seeds/region_groups",
    "seeds/regions",
    "seeds/vintages",
    "serving/warehouse",
    "staging/stg_documents__claims",
    "staging/stg_documents__dates",
    "staging/stg_documents__documents",
    "staging/stg_documents__files",
    "staging/stg_documents__mentions",
    "staging/stg_documents__paragraphs",
    "staging/stg_documents__quarantine",
    "staging/stg_documents__rule_failures",
    "staging/stg_reference__admin_divisions",
    "staging/stg_reference__prefecture_crosswalk",
    "staging/stg_reference__rule_failures",
    "staging/stg_statistics__boundaries",
    "staging/stg_statistics__files",
    "staging/stg_statistics__observations",
    "staging/stg_statistics__quarantine",
    "staging/stg_statistics__rule_failures",
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
    # and Dagster's freshness check, which warns when the published warehouse is older than 26 hours
    assert non_blocking == [
        "marts/dim_document:documents_are_complete",
        "marts/fct_city_year:sources_agree_on_city_year",
        "serving/warehouse:freshness_check",
    ]
    for expected in (
        "raw/statistics_observations:statistics_observations_expectations",
        "marts/fct_city_year:no_city_year_counted_twice",
        "marts/mart_cluster_year:assert_cluster_totals_equal_member_sums",
        "marts/mart_cluster_year:gdp_per_capita_plausible",
        "intermediate/int_statistics_observations_accepted:no_negative_gdp_or_population",
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
        f"{m['city_code']},{m['city_name_zh']},,1999,{indicator},{value},{unit},test\n"
        for m in members
        for indicator, value, unit in (("gdp", 50, "亿元"), ("population_year_end", 4000, "万人"))
    )
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)
    before = sha256(warehouse_dir / "serving.duckdb")

    # 1999: a year the bundled tables do not hold, so these figures are the only ones in both views
    refresh = run_refresh(warehouse_dir, make_root({"implausible.csv": f"{OBSERVATION_HEADER}\n{rows}"}), REPO_RAW)

    assert not refresh.result.success
    failed = refresh.failed_checks()
    assert "gdp_per_capita_plausible" in failed
    assert "statistics_observations_expectations" not in failed
    assert "serving/warehouse" not in refresh.materialized
    assert sha256(warehouse_dir / "serving.duckdb") == before


def test_owners_come_from_the_asset_specs_and_the_dbt_meta():
    graph = warehouse_definitions().resolve_asset_graph()
    owners = {key.to_user_string(): graph.get(key).owners for key in graph.get_all_asset_keys()}
    engineering = {k for k, v in owners.items() if v == ["team:data-engineering"]}
    analytics = {k for k, v in owners.items() if v == ["team:analytics-engineering"]}
    assert engineering == {k for k in EXPECTED_ASSET_KEYS if k.startswith(("raw/", "serving/"))}
    assert analytics == {
        k for k in EXPECTED_ASSET_KEYS if k.startswith(("seeds/", "staging/", "intermediate/", "marts/"))
    }
    definitions = (PROJECT_ROOT / "orchestration" / "definitions.py").read_text(encoding="utf-8")
    assert "owner" not in definitions  # wiring only


def test_the_freshness_check_is_dagsters_own_and_watched_by_its_sensor():
    defs = warehouse_definitions()
    sensor = defs.resolve_sensor_def("serving_freshness_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    job = defs.resolve_job_def("warehouse_refresh_job")
    assert not any(key.name == "freshness_check" for key in job.asset_layer.asset_graph.asset_check_keys)


def test_the_warehouse_resource_carries_every_setting(tmp_path):
    from orchestration.defs.resources import build_resources

    environment = {
        "WAREHOUSE_RAW_ROOTS": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
        "WAREHOUSE_DIR": str(tmp_path / "wh"),
        "WAREHOUSE_TARGET": "spark",
        "WAREHOUSE_PARSE_PROCESSES": "3",
        "WAREHOUSE_ALERT_WEBHOOK": "http://alerts.example/hook",
        "WAREHOUSE_FAULT_PAUSE": "lake",
        "WAREHOUSE_MEMORY_LIMIT": "1.5GiB",
        "WAREHOUSE_MAX_TEMP_SIZE": "7GB",
    }
    settings = load_settings(environment)
    assert build_resources({**environment, "HOME": "/elsewhere"})["warehouse"].settings == settings
    assert (settings.parse_processes, settings.memory_limit, settings.fault_pause) == (3, "1.5GiB", "lake")


def test_the_alert_sensor_is_the_one_writer_and_alerts_a_failed_refresh_from_a_shell(tmp_path):
    """A failed run of the refresh job, run in-process as `warehouse refresh` runs it (no code location),
    leaves one alert; a failed run of another job none. The CLI writes none of its own."""
    from orchestration.defs.resources import Warehouse
    from orchestration.defs.schedules import refresh_failure_alert_sensor

    assert "record_alert" not in (PROJECT_ROOT / "orchestration" / "cli.py").read_text(encoding="utf-8")
    sensor = warehouse_definitions().resolve_sensor_def("refresh_failure_alert_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    @dg.op
    def fails():
        raise RuntimeError("the build database is gone")

    def graph():
        fails()

    warehouse = Warehouse(environment={"WAREHOUSE_DIR": str(tmp_path / "wh")})
    alerts = warehouse.settings.alerts_path
    with dg.instance_for_test() as instance:
        for name in ("warehouse_refresh_job", "another_job"):
            result = dg.job(name=name)(graph).execute_in_process(instance=instance, raise_on_error=False)
            with dg.build_run_status_sensor_context(
                sensor_name="refresh_failure_alert_sensor",
                dagster_event=result.get_run_failure_event(),
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources={"warehouse": warehouse},
            ) as context:
                refresh_failure_alert_sensor(context.for_run_failure())
    [alert] = [json.loads(line) for line in alerts.read_text(encoding="utf-8").splitlines()]
    assert alert["job"] == "warehouse_refresh_job" and "fails" in alert["message"]
