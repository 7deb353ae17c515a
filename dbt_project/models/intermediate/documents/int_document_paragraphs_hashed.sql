-- One row per distinct paragraph of 20 characters or more of each document, by its hash: what the
-- near-duplicate search compares. Incremental on DuckDB (macros/document_increments.sql).
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}

select distinct document_id, md5(text) as paragraph_hash
from {{ ref('int_document_paragraphs_deduplicated') }}
where length(text) >= 20 and {{ documents_to_rebuild() }}
