-- One row per date a document states or implies (a date a paragraph states twice, once). Incremental
-- on DuckDB: a refresh builds the documents of new and changed files only and deletes the rows of
-- those gone (macros/incremental_documents.sql).
{{ config(
    materialized=document_materialization(),
    incremental_strategy='merge',
    unique_key=['document_id', 'day', 'precision', 'role', 'how', 'suspect', 'context'],
    merge_clauses=document_merge_clauses(),
) }}

select distinct
    dates.document_id,
    dates.day,
    dates.precision,
    dates.role,
    dates.how,
    dates.suspect,
    dates.context,
    versions.source_file,
    versions.loaded_at
from {{ ref('int_document_dates_deduplicated') }} as dates
inner join ({{ documents_to_build() }}) as versions on dates.document_id = versions.document_id
