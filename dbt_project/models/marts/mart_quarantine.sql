-- Everything a refresh held back, with the reason: statistics files, rows and cells the parser
-- rejected, rows that broke a data-quality rule, figures whose region did not resolve, and document
-- files that could not be read.
with statistics_parser as (
    select
        'statistics' as source_kind, source_file, source_row, column_name, raw_value, reason,
        'parse' as stage, null as rule, loaded_at
    from {{ ref('stg_statistics__quarantine') }}
),

rules as (
    {%- for kind in ['statistics', 'documents', 'reference'] %}
    select
        '{{ kind }}' as source_kind,
        source_file,
        source_row,
        record_key as column_name,
        null as raw_value,
        rule || ': ' || why as reason,
        'rule' as stage,
        rule,
        loaded_at
    from {{ ref('stg_' ~ kind ~ '__rule_failures') }}
    where severity = 'block'
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

-- once per file row: the figures of one row (a wide table's years) share its region
statistics_unresolved as (
    select distinct
        'statistics' as source_kind,
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
        null as rule,
        loaded_at
    from {{ ref('int_statistics_resolved') }}
    where resolved_region_code is null
),

documents as (
    select
        'documents' as source_kind, source_file, cast(null as {{ dbt.type_int() }}) as source_row, null as column_name,
        null as raw_value, reason, 'parse' as stage, null as rule, loaded_at
    from {{ ref('stg_documents__quarantine') }}
)

select * from statistics_parser
union all
select * from rules
union all
select * from statistics_unresolved
union all
select * from documents
