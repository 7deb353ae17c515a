with source as (
    select * from {{ source('raw', 'rule_failures') }}
),

renamed as (
    select
        refresh_id,
        source_kind,
        source_file,
        cast(source_row as integer) as source_row,
        record_key,
        rule,
        rule_kind,
        why
    from source
)

select * from renamed
