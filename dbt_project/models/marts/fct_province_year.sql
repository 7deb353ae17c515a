with figures as (
    select * from {{ ref('int_region_year_views') }}
),

regions as (
    select * from {{ ref('regions') }}
)

select
    figures.region_code,
    regions.region_name_zh,
    regions.region_level,
    {{ star_except('figures', ['region_code']) }}
from figures
inner join regions on figures.region_code = regions.region_code
