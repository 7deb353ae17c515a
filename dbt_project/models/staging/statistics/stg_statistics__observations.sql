with source as (
    select * from {{ source('raw', 'statistics_observations') }}
),

-- figures breaking a blocking data-quality rule are quarantined (see mart_quarantine)
quarantined as (
    select source_file, source_row, record_key from {{ ref('stg_statistics__rule_failures') }}
    where severity = 'block'
),

-- a figure whose table states no vintage has its indicator's (a census count's is census), else unstated
indicators as (
    select indicator, default_vintage from {{ ref('indicators') }}
),

renamed as (
    select
        md5(concat_ws(
            '|', source.source_file, file_sha256, cast(source_row as {{ dbt.type_string() }}), source.indicator,
            cast(year as {{ dbt.type_string() }})
        )) as observation_id,
        nullif(trim(region_code), '') as region_code,
        nullif(trim(region_name), '') as region_name,
        nullif(trim(province_name), '') as province_name,
        cast(year as integer) as year,
        source.indicator,
        cast(value as double) as value,
        unit,
        original_value,
        original_unit,
        publication,
        verification,
        verification_note,
        coalesce(source.vintage, indicators.default_vintage, 'unstated') as vintage,
        cast(source.published_on as date) as published_on,
        source_file,
        file_sha256,
        cast(source_row as integer) as source_row,
        cast(raw_root_rank as integer) as raw_root_rank,
        loaded_at
    from source
    left join indicators on source.indicator = indicators.indicator
    where not exists (
        select 1 from quarantined
        where quarantined.source_file = source.source_file
            and quarantined.source_row = source.source_row
            and quarantined.record_key = source.indicator || '|' || cast(source.year as {{ dbt.type_string() }})
    )
)

select * from renamed
