with documents as (
    select * from {{ ref('stg_documents__documents') }}
),

files as (
    select document_id, count(*) as file_count, {{ string_agg_sorted('source_file', "' | '") }} as files
    from {{ ref('stg_documents__files') }}
    where document_id is not null and status in ('loaded', 'duplicate')
    group by document_id
),

near as (
    select document_id, max_by(near_duplicate_of, shared_ratio) as near_duplicate_of, max(shared_ratio) as shared_ratio
    from {{ ref('int_document_near_duplicates') }}
    group by document_id
)

select
    documents.document_id,
    documents.title,
    documents.kind,
    documents.carrier,
    documents.outlet,
    documents.author,
    documents.dateline_place,
    documents.published_on,
    documents.published_how,
    documents.page_time,
    documents.file_format,
    documents.encoding,
    documents.source_file,
    files.file_count,
    files.files,
    near.near_duplicate_of,
    near.shared_ratio as near_duplicate_shared_ratio,
    documents.nonempty_lines,
    documents.distinct_lines,
    documents.paragraph_count,
    documents.repeated_paragraphs_dropped,
    documents.sentences_rejoined,
    documents.boilerplate_removed,
    documents.is_truncated,
    documents.text_chars,
    documents.loaded_at
from documents
left join files on documents.document_id = files.document_id
left join near on documents.document_id = near.document_id
