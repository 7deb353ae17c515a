"""Blocking data-quality checks (Great Expectations suites) on the ingested sources.

dbt tests guard each model's keys, relations and enums; these suites guard the raw figures before any
model is built, so a bad table stops the refresh at the door and names the file, rule and rows.
"""

import dagster as dg

from orchestration.defs.resources import Warehouse
from orchestration.lib.expectations import run_suite

SAMPLE_COLUMNS = ["source_file", "source_row", "region_code", "region_name", "year", "indicator", "value"]


def statistics_suite() -> list:
    """The expectations every ingested figure must meet (GX is imported here: it takes seconds)."""
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    return [
        *(
            gxe.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is present")
            for c in ("source_file", "source_row", "year", "indicator", "value", "unit")
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            row_condition=Column("indicator").is_in(["gdp", "population_year_end", "population_census"]),
            description="no negative GDP or population",
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=-50,
            max_value=50,
            row_condition=Column("indicator") == "gdp_growth_real",
            description="real growth between -50% and +50%",
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="year", min_value=1949, max_value=2100, description="year between 1949 and 2100"
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["source_file", "region_key", "year", "indicator"],
            description="no region, year and indicator given twice in one file",
        ),
    ]


@dg.asset_check(asset=dg.AssetKey(["raw", "statistics_observations"]), blocking=True)
def statistics_observations_expectations(warehouse: Warehouse) -> dg.AssetCheckResult:
    """GE suite on every ingested figure: required fields, no negative GDP or population, plausible
    growth and years, and no figure twice in one file."""
    with warehouse.connect(read_only=True) as conn:
        frame = conn.execute(
            "select *, coalesce(region_code, '') || '|' || coalesce(region_name, '') as region_key "
            "from raw.statistics_observations"
        ).df()
    outcome = run_suite(frame, "statistics_observations", statistics_suite(), SAMPLE_COLUMNS)
    return dg.AssetCheckResult(
        passed=outcome.success,
        description=outcome.summary(),
        metadata={
            "rows_checked": len(frame),
            "failed_expectations": [
                {"rule": f.description, "rows": f.unexpected_count, "sample": f.sample} for f in outcome.failures
            ],
        },
    )
