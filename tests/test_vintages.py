"""Vintages: every release of a figure is kept, each view takes its own, and a disagreement shows.

The figures in these tables are made up for the tests (of a plausible size); the bundled statistics are
checked on the default refresh at the end.
"""

from pathlib import Path

import pytest

from orchestration.raw_files.decoding import RawFile
from orchestration.statistics.reader import parse_statistics_file
from orchestration.statistics.units import ValueProblem
from orchestration.statistics.vintages import parse_published_on, parse_vintage
from tests.conftest import CATALOGUE, run_refresh

HEADER = "admin_code,region_name,year,indicator,value,unit,source,vintage,published_on\n"


def parsed(text: str, name: str = "t.csv"):
    return parse_statistics_file(RawFile(Path(name), text.encode("utf-8")), CATALOGUE)


@pytest.mark.parametrize(
    ("text", "vintage"),
    [
        ("first_release", "first_release"),
        ("初步核算", "first_release"),
        (" 最终核实 ", "final"),
        ("年鉴", "final"),
        ("修订", "revised"),
        ("普查", "census"),
        ("UNSTATED", "unstated"),
    ],
)
def test_vintage_spellings(text, vintage):
    assert parse_vintage(text) == vintage


def test_an_unknown_vintage_or_date_is_a_problem_naming_what_is_expected():
    with pytest.raises(ValueProblem, match="unknown vintage 'estimate'; expected one of first_release, final"):
        parse_vintage("estimate")
    assert parse_published_on("2019年3月1日") == "2019-03-01"
    assert parse_published_on("2019/3/1 00:00:00") == "2019-03-01"
    with pytest.raises(ValueProblem, match="not a publication date"):
        parse_published_on("2019-02-30")


def test_a_long_table_carries_each_rows_vintage_and_date_and_quarantines_a_bad_one():
    result = parsed(
        HEADER
        + "310000,上海市,2017,gdp,30000,亿元,公报,初步核算,2018-02-26\n"
        + "310000,上海市,2017,gdp,31000,亿元,年鉴,最终核实,\n"
        + "310000,上海市,2017,gdp,32000,亿元,x,guess,\n"
        + "310000,上海市,2018,gdp,33000,亿元,y,,2019-13-01\n"
    )
    got = [(o["source_row"], o["vintage"], o["published_on"]) for o in result.observations]
    assert got == [(2, "first_release", "2018-02-26"), (3, "final", None)]
    assert [(q["source_row"], q["column_name"], q["raw_value"]) for q in result.quarantine] == [
        (4, "vintage", "guess"),
        (5, "published_on", "2019-13-01"),
    ]
    assert "unknown vintage 'guess'" in result.quarantine[0]["reason"]


def test_a_line_above_the_table_states_the_vintage_and_date_of_every_figure():
    result = parsed(
        "指标：地区生产总值(亿元)\n口径：最终核实\n发布日期：2019年12月30日\n地区,2017年,2018年\n上海市,31000,33000\n"
    )
    assert {(o["year"], o["vintage"], o["published_on"]) for o in result.observations} == {
        (2017, "final", "2019-12-30"),
        (2018, "final", "2019-12-30"),
    }


def test_two_vintages_both_survive_each_view_takes_its_own_and_the_revision_shows(tmp_path, make_root):
    """上海 2017 GDP as a bulletin gives it and as revised after the economic census (12% apart); a
    third-party figure of unstated vintage comes last in both views; 南京 has only the unstated one; a
    census count beats an unstated year-end population."""
    root = make_root(
        {
            "bulletin.csv": HEADER + "310000,上海市,2017,gdp,30000,亿元,2017年统计公报,first_release,2018-02-26\n",
            "revised.csv": HEADER + "310000,上海市,2017,gdp,33600,亿元,经济普查修订,revised,2019-11-20\n",
            "panel.csv": HEADER
            + "310000,上海市,2017,gdp,30500,亿元,第三方面板,,\n"
            + "320100,南京市,2017,gdp,11900,亿元,第三方面板,,\n"
            + "310000,上海市,2020,population_year_end,2500,万人,第三方面板,,\n"
            + "310000,上海市,2020,population_census,2487.09,万人,第七次人口普查公报,,\n",
        }
    )
    refresh = run_refresh(tmp_path / "wh", root)
    assert refresh.result.success, "\n".join(refresh.failures)

    figures = refresh.serving(
        "select city_code, statistics_view, value / 1e8, vintage, source_count, vintage_count, "
        "round(source_value_spread_ratio, 3) from marts.fct_city_year where indicator = 'gdp' order by all"
    )
    assert figures == [
        ("310000", "first_published", 30000.0, "first_release", 3, 3, 0.12),
        ("310000", "latest", 33600.0, "revised", 3, 3, 0.12),
        ("320100", "first_published", 11900.0, "unstated", 1, 1, 0.0),
        ("320100", "latest", 11900.0, "unstated", 1, 1, 0.0),
    ]
    # the disagreement is a warning of the refresh, which still publishes
    warned = refresh.failed_checks()
    assert "sources_agree_on_city_year" in warned and warned["sources_agree_on_city_year"].severity.value == "WARN"

    members = refresh.serving(
        "select city_code, statistics_view, gdp_vintage, population_vintage, population_indicator "
        "from marts.mart_cluster_member_year where year in (2017, 2020) and city_code = '310000' order by all"
    )
    assert members == [
        ("310000", "first_published", "first_release", None, None),
        ("310000", "first_published", None, "census", "population_census"),
        ("310000", "latest", "revised", None, None),
        ("310000", "latest", None, "census", "population_census"),
    ]
    clusters = refresh.serving(
        "select statistics_view, gdp_cities_reported, gdp_reported_yuan / 1e8, gdp_vintage_mix "
        "from marts.mart_cluster_year where cluster_id = 'yrd' and year = 2017 order by all"
    )
    assert clusters == [
        ("first_published", 2, 41900.0, "first_release 1, unstated 1"),
        ("latest", 2, 45500.0, "revised 1, unstated 1"),
    ]


def test_the_default_refresh_has_both_views_complete_but_for_three_members_without_figures(published_default):
    """On the bundled raw/: 长三角 and 成渝 have GDP and population totals in both views for every year
    2016-2020; 长江中游's GDP total from 2017 (仙桃, 潜江 and 天门: Hubei's yearbooks 2018-2020, a
    calculation sheet for 2017) and its population total in the census year 2020 only (no year-end
    population of the three was reachable); each total says how many members it covers and which
    vintages they are."""
    rows = published_default.serving(
        "select cluster_id, statistics_view, year, gdp_yuan is not null, population_persons is not null, "
        "gdp_cities_reported, member_count, gdp_first_release_cities + gdp_final_cities + gdp_revised_cities "
        "+ gdp_census_cities + gdp_unstated_cities, gdp_vintage_mix "
        "from marts.mart_cluster_year where year between 2016 and 2020 order by all"
    )
    assert len(rows) == 3 * 2 * 5
    for cluster, view, year, gdp, population, reported, members, by_vintage, mix in rows:
        assert by_vintage == reported and mix, (cluster, view, year)
        if cluster in ("yrd", "cy"):
            assert gdp and population and reported == members, (cluster, view, year)
        else:
            assert gdp == (year >= 2017) and population == (year == 2020), (cluster, view, year)
    missing = published_default.serving(
        "select distinct d.city_name_zh from marts.dim_city as d where d.is_cluster_member and d.city_code not in "
        "(select city_code from marts.mart_cluster_member_year where year = 2016 and gdp_yuan is not null) "
        "order by 1"
    )
    assert missing == [("仙桃市",), ("天门市",), ("潜江市",)]
    # the views differ where the yearbook's final figure follows the bulletin's first release
    assert published_default.serving(
        "select statistics_view, gdp_vintage_mix from marts.mart_cluster_year "
        "where cluster_id = 'yrd' and year = 2018 order by 1"
    ) == [("first_published", "first_release 11, final 15"), ("latest", "final 26")]
