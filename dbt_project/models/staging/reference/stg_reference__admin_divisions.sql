with source as (
    select * from {{ source('raw', 'admin_divisions') }}
),

-- divisions breaking a blocking data-quality rule are quarantined (see mart_quarantine)
quarantined as (
    select source_file, source_row from {{ ref('stg_reference__rule_failures') }}
    where severity = 'block'
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
        source_file
    from source
    where not exists (
        select 1 from quarantined
        where quarantined.source_file = source.source_file and quarantined.source_row = source.source_row
    )
)

select * from renamed
