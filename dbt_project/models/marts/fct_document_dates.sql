-- Incremental on DuckDB: a refresh redoes the documents of new, changed and deleted files only.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}

select
    document_id,
    day,
    precision,
    role,
    how,
    suspect,
    context
from {{ ref('stg_documents__dates') }}
where {{ documents_to_rebuild() }}
