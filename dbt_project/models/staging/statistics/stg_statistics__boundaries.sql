with source as (
    select * from {{ source('statistics', 'statistics_boundaries') }}
),

renamed as (
    select
        source_file,
        cast(source_row as integer) as source_row,
        cast(raw_root_rank as integer) as raw_root_rank,
        region_code,
        region_name,
        boundary_wkt,
        loaded_at
    from source
)

select * from renamed
