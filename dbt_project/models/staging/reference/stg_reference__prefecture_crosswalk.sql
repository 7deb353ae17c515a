with source as (
    select * from {{ source('reference', 'prefecture_crosswalk') }}
),

renamed as (
    select
        -- legacy ids are 'E' + the 6-digit code of the current or last valid unit (E420600 = 襄阳)
        regexp_extract(legacy_entity_id, '^E(\d{6})$', 1) as prefecture_code,
        canonical_name_zh,
        province_name_zh,
        status_at_2026_year_end as status,
        name_history_year_end as name_history,
        source_file
    from source
    where {{ regexp_like('legacy_entity_id', "'^E\\d{6}$'") }}
)

select * from renamed
