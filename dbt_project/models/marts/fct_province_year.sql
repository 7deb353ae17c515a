with selected as (
    select * from {{ ref('int_region_year_selected') }}
    where source_rank = 1
),

regions as (
    select * from {{ ref('regions') }}
)

select
    selected.resolved_region_code as region_code,
    regions.region_name_zh,
    regions.region_level,
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
inner join regions on selected.resolved_region_code = regions.region_code
