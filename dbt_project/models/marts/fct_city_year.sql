with selected as (
    select * from {{ ref('int_region_year_selected') }}
    where source_rank = 1
),

cities as (
    select city_code from {{ ref('dim_city') }}
)

select
    selected.resolved_region_code as city_code,
    selected.year,
    selected.indicator,
    selected.value,
    selected.unit,
    selected.original_value,
    selected.original_unit,
    selected.publication as source,
    selected.verification,
    selected.verification_note,
    selected.source_file,
    selected.source_row,
    selected.source_count,
    selected.source_value_spread
from selected
inner join cities on selected.resolved_region_code = cities.city_code
