"""Jobs and schedules of the warehouse."""

import dagster as dg

warehouse_refresh_job = dg.define_asset_job(
    "warehouse_refresh_job",
    selection=dg.AssetSelection.all(),
    description="Full refresh: ingest every raw root, build and test the dbt models, publish if all checks pass.",
)

warehouse_refresh_schedule = dg.ScheduleDefinition(
    name="warehouse_refresh_schedule",
    job=warehouse_refresh_job,
    cron_schedule="0 2 * * *",  # daily at 02:00 Beijing time, after the overnight file drops
    execution_timezone="Asia/Shanghai",
)
