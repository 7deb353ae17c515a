-- One row per city-level unit: the cluster members (always) and, when a raw root carries the NBS
-- codes, every prefecture-level city, province-administered county-level city and municipality.
with members as (
    select city_code, city_name_zh, province_code, 0 as priority
    from {{ ref('cluster_members') }}
),

reference_cities as (
    select division_code as city_code, division_name_zh as city_name_zh, province_code, 1 as priority
    from {{ ref('int_admin_divisions_accepted') }}
    where
        -- municipalities and the 直辖县级 groups have placeholder rows at city level
        (division_level = 'city' and division_name_zh not in ('市辖区', '县')
            and division_name_zh not like '%直辖县级行政区划')
        or (division_level = 'area' and city_name_zh like '%直辖县级行政区划')
        or (division_level = 'province'
            and division_code in (select region_code from {{ ref('region_code_aliases') }}))
),

unioned as (
    select * from members
    union all
    select * from reference_cities
),

ranked as (
    select *, row_number() over (partition by city_code order by priority) as code_rank
    from unioned
)

select city_code, city_name_zh, province_code
from ranked
where code_rank = 1
