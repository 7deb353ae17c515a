{#- The rows of a source's rule-failure table (written by its ingest asset: one row per row and data-quality
    row rule it breaks), typed. -#}
{% macro rule_failures_of(source_name, table_name) %}
with source as (
    select * from {{ source(source_name, table_name) }}
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
{% endmacro %}
