-- Everything the refresh held back from the statistics marts, with the reason: rows and files the
-- parser rejected, and figures whose region could not be resolved to a known code.
with parser as (
    select source_file, source_row, column_name, raw_value, reason, 'parse' as stage, loaded_at
    from {{ ref('stg_statistics__quarantine') }}
),

unresolved as (
    select
        source_file,
        source_row,
        case when region_code is null then 'region_name' else 'region_code' end as column_name,
        coalesce(region_code, region_name) as raw_value,
        case resolution
            when 'ambiguous_name' then 'region name matches several codes: ' || region_name
            when 'unknown_name' then 'region name not in the city dimension: ' || region_name
            else 'region code not in the city dimension: ' || region_code
        end as reason,
        'resolve' as stage,
        loaded_at
    from {{ ref('int_statistics_resolved') }}
    where resolved_region_code is null
)

select * from parser
union all
select * from unresolved
