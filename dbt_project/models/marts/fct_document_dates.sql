-- One row per date a document states or implies (a date a paragraph states twice, once). Incremental
-- on DuckDB: a refresh redoes the documents of new, changed and deleted files only.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}

select distinct
    document_id,
    day,
    precision,
    role,
    how,
    suspect,
    context
from {{ ref('int_document_dates_deduplicated') }}
where {{ documents_to_rebuild() }}
