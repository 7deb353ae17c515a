"""Quality gates: each kind of rule on each source holds the refresh back, a few bad rows are only
quarantined, and the quality history keeps held and good refreshes."""

import shutil

import dagster as dg
import duckdb
import pytest

from orchestration.defs.transform import warehouse_models
from orchestration.quality.rules import unit_mixups
from tests.conftest import OBSERVATION_HEADER, REPO_RAW, run_refresh, sha256

DOWNSTREAM = ("staging/", "intermediate/", "marts/", "serving/")
FUTURE_PAGE = (
    "<html><body><div>长江中游城市群观察时间:2099-03-01 09:15:00</div>"
    "<p>武汉市地区生产总值稳步增长，城市群合作加深。</p></body></html>"
)


@pytest.fixture
def last_good(tmp_path, published_default):
    """A warehouse folder holding a published refresh, and the hashes of what analysts read."""
    warehouse_dir = tmp_path / "wh"
    shutil.copytree(published_default.settings.warehouse_dir, warehouse_dir, symlinks=True)

    def served() -> dict[str, str]:
        files = [warehouse_dir / "serving.duckdb", *sorted((warehouse_dir / "parquet").iterdir())]
        return {p.name: sha256(p) for p in files}

    return warehouse_dir, served


def assert_held(refresh, check_name, rule, file_name, served_before, served):
    assert not refresh.result.success
    failed = refresh.failed_checks()
    assert check_name in failed, failed.keys()
    description = failed[check_name].description
    assert rule in description and file_name in description and "first rows" in description
    assert not {key for key in refresh.materialized if key.startswith(DOWNSTREAM)}
    assert served() == served_before


@pytest.mark.parametrize(
    ("file_name", "rows", "rule"),
    [
        ("growth.csv", "420100,武汉市,湖北省,2019,gdp_growth_real,74,%,x\n", "growth_between_minus_30_and_30_percent"),
        (
            "population.csv",
            "420100,武汉市,湖北省,2019,population_year_end,60000,万人,x\n",
            "city_population_between_1e3_and_5e7",
        ),
        ("gdp_2016_2018.csv", "420100,武汉市,湖北省,2019,gdp,16223.21,亿元,x\n", "year_within_source_period"),
        ("codes.csv", "429999,不存在市,湖北省,2019,gdp,1000,亿元,x\n", "code_in_city_dimension"),
        # 上海 2017 GDP typed in 万元 (301338600) under an 亿元 header: 10⁴ times its other years
        ("wan_as_yi.csv", "310000,上海市,上海市,2017,gdp,301338600,亿元,x\n", "no_unit_mixup"),
        (
            "twice.csv",
            "420100,武汉市,湖北省,2014,gdp,10069.48,亿元,x\n420100,武汉市,湖北省,2014,gdp,10069.48,亿元,x\n",
            "no_duplicate_figure_in_a_file",
        ),
    ],
    ids=["range_growth", "range_population", "period", "code", "unit_mixup", "duplicate"],
)
def test_a_statistics_file_breaking_a_rule_holds_the_refresh(tmp_path, make_root, last_good, file_name, rows, rule):
    warehouse_dir, served = last_good
    before = served()
    bad = make_root({file_name: f"{OBSERVATION_HEADER}\n{rows}"})
    refresh = run_refresh(warehouse_dir, REPO_RAW, bad)
    assert_held(refresh, "statistics_observations_expectations", rule, file_name, before, served)


def test_a_document_dated_in_the_future_holds_the_refresh(make_root, last_good):
    warehouse_dir, served = last_good
    before = served()
    bad = make_root({"future.html": FUTURE_PAGE}, kind="documents")
    refresh = run_refresh(warehouse_dir, REPO_RAW, bad)
    assert_held(refresh, "documents_expectations", "published_between_1949_and_today", "future.html", before, served)


def rows_checked(refresh, check_name: str) -> int:
    (evaluation,) = [
        e.event_specific_data
        for e in refresh.result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION and e.event_specific_data.check_name == check_name
    ]
    return evaluation.metadata["rows_checked"].value


def test_the_check_reads_the_lake_copy_and_a_held_document_stays_held(make_root, last_good):
    warehouse_dir, served = last_good
    before = served()
    bad = make_root({"future.html": FUTURE_PAGE}, kind="documents")
    held = run_refresh(warehouse_dir, REPO_RAW, bad)
    assert_held(held, "documents_expectations", "published_between_1949_and_today", "future.html", before, served)
    # the check read every document the models read: the lake's whole table, not only the new file
    lake = held.settings.lake_dir / "documents" / "documents" / "*.parquet"
    lake_rows = duckdb.sql(f"select count(*) from '{lake}'").fetchall()[0][0]
    assert rows_checked(held, "documents_expectations") == lake_rows > 1
    # no file changed since: the bad row is still in the lake, and still holds the refresh back
    again = run_refresh(warehouse_dir, REPO_RAW, bad)
    assert_held(again, "documents_expectations", "published_between_1949_and_today", "future.html", before, served)


def test_a_reference_file_with_bad_codes_holds_the_refresh(make_root, last_good):
    warehouse_dir, served = last_good
    before = served()
    table = "level,code,name,province_code,province_name,city_code,city_name\ncity,4201,武汉市,420000,湖北省,,\n"
    bad = make_root({"admin_divisions.csv": table}, kind="reference")
    refresh = run_refresh(warehouse_dir, REPO_RAW, bad)
    assert_held(refresh, "admin_divisions_expectations", "code_is_six_digits", "admin_divisions.csv", before, served)


def test_quality_history_keeps_a_held_refresh_and_a_good_one(tmp_path, make_root, lean_raw):
    warehouse_dir = tmp_path / "wh"
    held = run_refresh(
        warehouse_dir, lean_raw, make_root({"bad.csv": f"{OBSERVATION_HEADER}\n320100,,,2016,gdp,-1,亿元,x\n"})
    )
    assert not held.result.success and not (warehouse_dir / "serving.duckdb").exists()
    good = run_refresh(warehouse_dir, lean_raw)
    assert good.result.success
    rows = good.serving(
        "select refresh_id, refresh_passed, outcome, failed_rules from marts.mart_quality_history "
        "where check_name = 'statistics_observations_expectations' order by checked_at"
    )
    assert rows == [
        (held.result.run_id, False, "failed_blocking", "city_gdp_between_1e9_and_1e14_yuan"),
        (good.result.run_id, True, "passed", None),
    ]
    # the held refresh's dbt tests never ran; the good refresh's GX suites and its dbt tests are all on
    # record in its own publication (publish writes the history from the run's check records)
    kinds = dict(
        good.serving(
            "select source_kind = 'dbt_test', count(*) from marts.mart_quality_history where refresh_id = ? group by 1",
            [good.result.run_id],
        )
    )
    assert kinds == {False: 3, True: len(list(warehouse_models.check_specs))}
    assert not good.serving(
        "select * from marts.mart_quality_history where refresh_id = ? and source_kind = 'dbt_test'",
        [held.result.run_id],
    )


def test_unit_mixup_detector_flags_a_value_ten_thousand_times_its_series():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "region_key": ["310000"] * 4 + ["420100"] * 2 + ["430100"] * 3,
            "indicator": ["gdp"] * 6 + ["retail_sales"] * 3,
            "value": [2.7e12, 3.0e16, 3.3e12, 3.8e12, 1.2e12, 1.3e12, 4.0e11, 4.1e7, 4.2e11],
        }
    )
    # the catalogue's additive indicators are levels; a rate or share is not judged
    assert unit_mixups(frame, {"gdp", "retail_sales"}) == [False, True, False, False, False, False, False, True, False]
    assert unit_mixups(frame, {"gdp"})[6:] == [False, False, False]
