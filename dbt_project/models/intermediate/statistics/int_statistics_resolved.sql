-- One row per observation with the region it is about: by code (or a code alias such as the census's
-- 310100 for 上海), else by a name variant in use that year, narrowed by province when one is given.
with observations as (
    select * from {{ ref('int_statistics_observations_accepted') }}
),

aliases as (
    select * from {{ ref('region_code_aliases') }}
),

known_codes as (
    select city_code as region_code from {{ ref('int_cities_unioned') }}
    union
    select region_code from {{ ref('regions') }}
),

names as (
    select * from {{ ref('int_region_names') }}
),

provinces as (
    select region_code as province_code, region_name_zh from {{ ref('regions') }}
),

name_matches as (
    select
        observations.observation_id,
        min(names.region_code) as region_code,
        count(distinct names.region_code) as candidates
    from observations
    inner join names
        on observations.region_name = names.variant_name
        and observations.year between coalesce(names.valid_from_year, 0) and coalesce(names.valid_to_year, 9999)
    left join provinces
        on names.province_code = provinces.province_code
    where observations.region_code is null
        and (
            observations.province_name is null
            or observations.province_name in (provinces.region_name_zh, {{ short_place_name('provinces.region_name_zh') }})
        )
    group by observations.observation_id
),

resolved as (
    select
        observations.*,
        case
            when observations.region_code is not null
                then coalesce(aliases.region_code, observations.region_code)
            when name_matches.candidates = 1 then name_matches.region_code
        end as resolved_code,
        case
            when aliases.region_code is not null then 'code_alias'
            when observations.region_code is not null then 'code'
            when name_matches.candidates = 1 then 'name'
            when name_matches.candidates > 1 then 'ambiguous_name'
            else 'unknown_name'
        end as resolution
    from observations
    left join aliases on observations.region_code = aliases.alias_code
    left join name_matches on observations.observation_id = name_matches.observation_id
)

select
    {{ star_except('resolved', ['resolved_code', 'resolution']) }},
    case when known_codes.region_code is not null then resolved.resolved_code end as resolved_region_code,
    case
        when resolved.resolved_code is not null and known_codes.region_code is null then 'unknown_code'
        else resolved.resolution
    end as resolution
from resolved
left join known_codes on resolved.resolved_code = known_codes.region_code
