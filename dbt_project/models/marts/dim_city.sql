with cities as (
    select * from {{ ref('int_cities_unioned') }}
),

members as (
    select * from {{ ref('cluster_members') }}
),

provinces as (
    select region_code, region_name_zh from {{ ref('regions') }}
),

variants as (
    select region_code, {{ string_agg_sorted('variant_name', "'、'", distinct=true) }} as name_variants
    from {{ ref('int_region_names') }}
    group by region_code
)

select
    cities.city_code,
    cities.city_name_zh,
    {{ short_place_name('cities.city_name_zh') }} as city_short_name_zh,
    cities.province_code,
    provinces.region_name_zh as province_name_zh,
    members.cluster_id,
    members.coverage,
    members.coverage_note,
    members.cluster_id is not null as is_cluster_member,
    variants.name_variants
from cities
left join members on cities.city_code = members.city_code
left join provinces on cities.province_code = provinces.region_code
left join variants on cities.city_code = variants.region_code
