-- One row per city with a boundary: the first a statistics table gives for its code (or a code alias
-- such as the census's 310100 for 上海), by raw root, file and row. WKT in longitude/latitude as the
-- source gives it; the report simplifies and projects it for its map.
with boundaries as (
    select * from {{ ref('stg_statistics__boundaries') }}
),

aliases as (
    select * from {{ ref('region_code_aliases') }}
),

cities as (
    select city_code from {{ ref('dim_city') }}
),

resolved as (
    select
        coalesce(aliases.region_code, boundaries.region_code) as city_code,
        boundaries.boundary_wkt,
        boundaries.source_file,
        boundaries.source_row,
        row_number() over (
            partition by coalesce(aliases.region_code, boundaries.region_code)
            order by boundaries.raw_root_rank, boundaries.source_file, boundaries.source_row
        ) as boundary_rank
    from boundaries
    left join aliases on boundaries.region_code = aliases.alias_code
)

select
    resolved.city_code,
    resolved.boundary_wkt,
    resolved.source_file,
    resolved.source_row
from resolved
inner join cities on resolved.city_code = cities.city_code
where resolved.boundary_rank = 1
