with source as (
    select * from {{ source('raw', 'document_rule_failures') }}
),

renamed as (
    select
        source_file,
        cast(source_row as integer) as source_row,
        record_key,
        rule,
        rule_kind,
        severity,
        why,
        loaded_at
    from source
)

select * from renamed
