{#- Incremental document models. On DuckDB a refresh that adds, changes or deletes a few document files
    rebuilds only the rows of those files' documents. Each such model keeps, in schema `increments`, the
    versions of the document files it was last built from (table `<model>`: document and a hash of
    path, content hash, status and load time, plus one row for its other inputs) and, for the build under way, the documents
    to redo (`<model>__changes`): those of every file that is new, changed or gone since. A null
    document_id there stands for all of them: the model has no versions yet, or an input other than the
    document tables (`fingerprint`, e.g. the city each cluster holds) changed. `dbt build --full-refresh`
    and the other targets build the whole table. This rests on the documents asset giving each file it
    (re)loads a new loaded_at; tests/test_incremental_models.py compares the marts with a fresh build.

    A model uses them as:
        {{ config(materialized=document_materialization(), incremental_strategy='append',
                  pre_hook="{{ delete_changed_documents() }}", post_hook="{{ record_document_versions() }}") }}
        ... where {{ documents_to_rebuild() }}
-#}

{% macro document_materialization() %}
    {{- return('incremental' if target.type == 'duckdb' else 'table') -}}
{% endmacro %}

{#- One row per parsed document file as the document tables hold it now (its document and a hash of
    path, content hash, status and load time), one for the model's own code (an edited model is rebuilt
    whole, without a --full-refresh) and one for the other inputs. -#}
{% macro document_versions(fingerprint=none) %}
    select document_id, hash(source_file, file_sha256, status, loaded_at) as version
    from {{ ref('stg_documents__files') }}
    where document_id is not null
    union all
    select '(other inputs)', hash('{{ model.checksum.checksum }}')
    {%- if fingerprint %}
    union all
    select '(other inputs)', hash(({{ fingerprint }}))
    {%- endif %}
{% endmacro %}

{#- A scalar fingerprint of some columns of a relation: its row count and the sum of the rows' hashes. -#}
{% macro fingerprint_of(relation, columns) -%}
    (select count(*) || ':' || coalesce(sum(hash({{ columns | join(', ') }})), 0) from {{ relation }})
{%- endmacro %}

{#- While the model runs on DuckDB: record the versions it is built from (increments.<model>__built,
    kept by the post-hook) and, in an incremental build, the documents to redo (<model>__changes);
    `widen` is a query over the relation `changed` naming further documents to redo. Returns the
    predicate on `column` that selects the rows to build ('true' outside an incremental build). -#}
{% macro documents_to_rebuild(column='document_id', fingerprint=none, widen=none) %}
    {%- set files = ref('stg_documents__files') -%}  {#- at parse time too: the model depends on it -#}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set base = 'increments.' ~ this.identifier -%}
    {%- call statement('increments_schema') -%} create schema if not exists increments {%- endcall -%}
    {%- call statement('document_versions') -%}
        create or replace table {{ base }}__built as {{ document_versions(fingerprint) }}
    {%- endcall -%}
    {%- if not is_incremental() -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set previous = adapter.get_relation(this.database, 'increments', this.identifier) -%}
    {%- if previous is not none
        and adapter.get_columns_in_relation(previous) | map(attribute='name') | list != ['document_id', 'version'] -%}
        {%- set previous = none -%}  {#- versions kept in another form: redo everything -#}
    {%- endif -%}
    {%- call statement('document_changes') -%}
        create or replace table {{ base }}__changes as
        {%- if previous is none %}
        select cast(null as varchar) as document_id
        {%- else %}
        with differ as (
            (select * from {{ base }}__built except select * from {{ previous }})
            union all
            (select * from {{ previous }} except select * from {{ base }}__built)
        ),

        changed as (
            select distinct nullif(document_id, '(other inputs)') as document_id from differ
        )

        select document_id from changed
        {%- if widen %}
        union
        select document_id from ({{ widen }}) as widened
        {%- endif %}
        {%- endif %}
    {%- endcall -%}
    {{ return(changed_rows(column, base ~ '__changes')) }}
{% endmacro %}

{#- The predicate selecting the rows of the documents to redo: a plain semi-join ('true' for all of
    them), which DuckDB runs far faster than one with an `or`. -#}
{% macro changed_rows(column, changes) %}
    {%- set everything = run_query('select count(*) from ' ~ changes ~ ' where document_id is null') -%}
    {%- if everything.columns[0].values()[0] > 0 -%}
        {{ return('true') }}
    {%- endif -%}
    {{ return(column ~ ' in (select document_id from ' ~ changes ~ ')') }}
{% endmacro %}

{#- Pre-hook: drop the rows of the documents to redo. -#}
{% macro delete_changed_documents(column='document_id') %}
    {%- if target.type == 'duckdb' and is_incremental() -%}
        delete from {{ this }} where {{ changed_rows(column, 'increments.' ~ this.identifier ~ '__changes') }}
    {%- endif -%}
{% endmacro %}

{#- Post-hook (in the model's transaction): the versions the table now holds become the ones to compare with. -#}
{% macro record_document_versions() %}
    {%- if target.type == 'duckdb' -%}
        drop table if exists increments.{{ this.identifier }};
        alter table increments.{{ this.identifier }}__built rename to {{ this.identifier }}
    {%- endif -%}
{% endmacro %}
