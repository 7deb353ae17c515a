-- One row per check of every refresh (GX suites on the sources and dbt tests on the models), so
-- analysts can see when the data last passed and why a refresh was held back.
with history as (
    select * from {{ ref('stg_quality__check_history') }}
),

refreshes as (
    select
        refresh_id,
        min(checked_at) as refresh_started_at,
        bool_and(passed or not blocking) as refresh_passed
    from history
    group by refresh_id
)

select
    history.refresh_id,
    refreshes.refresh_started_at,
    refreshes.refresh_passed,
    history.check_name,
    history.asset_key,
    history.source_kind,
    history.blocking,
    history.passed,
    case
        when history.passed then 'passed'
        when history.blocking then 'failed_blocking'
        else 'warned'
    end as outcome,
    history.rows_checked,
    history.rows_failed,
    history.failed_rules,
    history.description,
    history.sample,
    history.checked_at
from history
inner join refreshes on history.refresh_id = refreshes.refresh_id
