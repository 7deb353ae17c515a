with source as (
    select * from {{ source('raw', 'check_history') }}
),

renamed as (
    select
        refresh_id,
        check_name,
        asset_key,
        source_kind,
        blocking,
        passed,
        rows_checked,
        rows_failed,
        failed_rules,
        description,
        sample,
        checked_at
    from source
)

select * from renamed
