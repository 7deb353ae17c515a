with source as (
    select * from {{ source('reference', 'admin_divisions') }}
),

renamed as (
    select
        level as division_level,
        code as division_code,
        name as division_name_zh,
        province_code,
        province_name as province_name_zh,
        city_code,
        city_name as city_name_zh,
        source_file,
        cast(source_row as integer) as source_row
    from source
)

select * from renamed
