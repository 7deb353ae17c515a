with source as (
    select * from {{ source('raw', 'statistics_observations') }}
),

-- figures breaking a blocking data-quality rule are quarantined (see mart_quarantine)
quarantined as (
    select source_file, source_row, record_key from {{ ref('stg_statistics__rule_failures') }}
    where severity = 'block'
),

renamed as (
    select
        md5(concat_ws(
            '|', file_sha256, cast(source_row as {{ dbt.type_string() }}), indicator,
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
        source_file,
        file_sha256,
        cast(source_row as integer) as source_row,
        cast(raw_root_rank as integer) as raw_root_rank,
        loaded_at
    from source
    where not exists (
        select 1 from quarantined
        where quarantined.source_file = source.source_file
            and quarantined.source_row = source.source_row
            and quarantined.record_key = source.indicator || '|' || cast(source.year as {{ dbt.type_string() }})
    )
)

select * from renamed
