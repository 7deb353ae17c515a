-- One row per distinct paragraph of 20 characters or more of each document, by its hash: what the
-- near-duplicate search compares. Incremental on DuckDB (macros/incremental_documents.sql).
{{ config(
    materialized=document_materialization(),
    incremental_strategy='merge',
    unique_key=['document_id', 'paragraph_hash'],
    merge_clauses=document_merge_clauses(),
) }}

select distinct paragraphs.document_id, md5(paragraphs.text) as paragraph_hash, versions.source_file, versions.loaded_at
from {{ ref('int_document_paragraphs_deduplicated') }} as paragraphs
inner join ({{ documents_to_build() }}) as versions on paragraphs.document_id = versions.document_id
where length(paragraphs.text) >= 20
