{#- Every source table is a Parquet folder of the lake (staging/<source>/_<source>__sources.yml). dbt-duckdb reads it through the
    source's external_location; other adapters get the folder from adapter.dispatch('lake_relation'). -#}
{% macro source(source_name, table_name) %}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('lake_relation')(relation, source_name, table_name)) }}
{% endmacro %}

{% macro default__lake_relation(relation, source_name, table_name) %}
    {{ return(relation) }}
{% endmacro %}

{% macro spark__lake_relation(relation, source_name, table_name) %}
    {%- if not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.values() | selectattr('source_name', 'equalto', source_name)
        | selectattr('name', 'equalto', table_name) | first -%}
    {%- set meta = node.config.meta if node.config.meta else node.meta -%}
    {{ return('parquet.`' ~ meta['lake_dir'] ~ '/' ~ meta['lake_folder'] ~ '/' ~ table_name ~ '`') }}
{% endmacro %}
