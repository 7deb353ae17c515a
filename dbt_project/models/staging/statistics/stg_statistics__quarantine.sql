with source as (
    select * from {{ source('statistics', 'statistics_quarantine') }}
),

renamed as (
    select
        source_file,
        file_sha256,
        cast(source_row as integer) as source_row,
        column_name,
        raw_value,
        reason,
        loaded_at
    from source
)

select * from renamed
