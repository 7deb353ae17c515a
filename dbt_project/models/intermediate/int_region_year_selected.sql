-- One row per resolved observation, ranked within its (region, year, indicator). The rule when
-- several files give the same figure: the earlier raw root wins, then the file path, then the row.
-- The winner carries how many sources gave a figure and how far apart their values are.
with resolved as (
    select * from {{ ref('int_statistics_resolved') }}
    where resolved_region_code is not null
)

select
    *,
    row_number() over (
        partition by resolved_region_code, year, indicator
        order by raw_root_rank, source_file, source_row
    ) as source_rank,
    count(*) over (partition by resolved_region_code, year, indicator) as source_count,
    max(value) over (partition by resolved_region_code, year, indicator)
        - min(value) over (partition by resolved_region_code, year, indicator) as source_value_spread
from resolved
