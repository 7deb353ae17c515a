-- One row per region, year, indicator and view: the figure each view takes (int_region_year_selected
-- ranks them), so that the facts and the cluster marts read one figure per view.
with selected as (
    select * from {{ ref('int_region_year_selected') }}
),

views as (
    select 'first_published' as statistics_view, * from selected where first_published_rank = 1
    union all
    select 'latest' as statistics_view, * from selected where latest_rank = 1
)

select
    statistics_view,
    resolved_region_code as region_code,
    year,
    indicator,
    value,
    unit,
    original_value,
    original_unit,
    publication as source,
    vintage,
    published_on,
    verification,
    verification_note,
    source_file,
    source_row,
    source_count,
    vintage_count,
    source_value_spread,
    source_value_spread_ratio
from views
