with figures as (
    select * from {{ ref('int_region_year_views') }}
),

cities as (
    select city_code from {{ ref('dim_city') }}
)

select
    figures.region_code as city_code,
    {{ star_except('figures', ['region_code']) }}
from figures
inner join cities on figures.region_code = cities.city_code
