with source as (
    select * from {{ source('statistics', 'statistics_observations') }}
),

renamed as (
    select
        md5(concat_ws(
            '|', source_file, file_sha256, cast(source_row as {{ dbt.type_string() }}), indicator,
            cast(year as {{ dbt.type_string() }})
        )) as observation_id,
        nullif(trim(region_code), '') as region_code,
        nullif(trim(region_name), '') as region_name,
        nullif(trim(province_name), '') as province_name,
        cast(year as integer) as year,
        indicator,
        cast(value as double) as value,
        unit,
        original_value,
        original_unit,
        publication,
        verification,
        verification_note,
        vintage,
        cast(published_on as date) as published_on,
        source_file,
        file_sha256,
        cast(source_row as integer) as source_row,
        cast(raw_root_rank as integer) as raw_root_rank,
        loaded_at
    from source
)

select * from renamed
