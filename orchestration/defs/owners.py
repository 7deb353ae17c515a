"""Who answers for an asset, shown in the UI: data engineering owns ingest and publishing (set on the
Python asset specs with this constant), analytics engineering the dbt models and seeds (set in
dbt_project.yml, ``+meta: dagster: owners``)."""

DATA_ENGINEERING = "team:data-engineering"
