-- One row per distinct document. Incremental on DuckDB (macros/incremental_documents.sql): a refresh
-- builds the documents whose first file, its load time or list of files changed, the documents sharing
-- a paragraph with them, those that were near-duplicates of them and those holding a paragraph that may
-- have come back under near_duplicate_max_documents; the rows of documents gone are deleted.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='merge',
    unique_key='document_id',
    merge_clauses=document_merge_clauses(),
) }}
-- depends_on: {{ ref('int_document_paragraphs_hashed') }} (read in an incremental build only)

with files as (
    select document_id, count(*) as file_count, {{ string_agg_sorted('source_file', "' | '") }} as files
    from {{ ref('stg_documents__files') }}
    where document_id is not null and status <> 'quarantined'
    group by document_id
),
{%- if is_incremental() %}

-- the documents whose file columns differ from the table's: new, changed and gone ones
versions as (
    select documents.document_id, documents.source_file, documents.loaded_at, files.file_count, files.files
    from {{ ref('int_documents_deduplicated') }} as documents
    left join files on documents.document_id = files.document_id
),

changed as (
    select document_id from (
        select * from versions
        except
        select document_id, source_file, loaded_at, file_count, files from {{ this }}
    ) as new_versions
    union
    select document_id from (
        select document_id, source_file, loaded_at, file_count, files from {{ this }}
        except
        select * from versions
    ) as old_versions
),

to_build as (
    select document_id from changed
    union
    -- the documents sharing a paragraph with them: a pair with them may be new or gone, or they may
    -- now come earlier or later by path
    select others.document_id
    from {{ ref('int_document_paragraphs_hashed') }} as hashed
    inner join changed on hashed.document_id = changed.document_id
    inner join {{ ref('int_document_paragraphs_hashed') }} as others on hashed.paragraph_hash = others.paragraph_hash
    union
    select document_id from {{ this }} where near_duplicate_of in (select document_id from changed)
    union
    -- a paragraph the changed documents' old text held over near_duplicate_max_documents may be back
    -- under it, which changes the pairs of every document holding it (macros/near_duplicate_pairs.sql)
    select document_id from {{ ref('int_document_paragraphs_hashed') }}
    where paragraph_hash in (
        select paragraph_hash from {{ ref('int_document_paragraphs_hashed') }}
        group by paragraph_hash
        having count(*) <= {{ var('near_duplicate_max_documents') }}
            and count(*) > {{ var('near_duplicate_max_documents') }} - (select count(*) from changed)
    )
),
{%- endif %}

documents as (
    select * from {{ ref('int_documents_deduplicated') }}
    {%- if is_incremental() %}
    where document_id in (select document_id from to_build)
    {%- endif %}
),

candidates as (
    {%- if is_incremental() %}
    {{ near_duplicate_pairs(only='document_id in (select document_id from to_build)') }}
    {%- else %}
    select * from {{ ref('int_document_near_duplicates') }}
    {%- endif %}
),

-- the earlier document sharing the largest part (the first by id of equal ones)
near as (
    select document_id, near_duplicate_of, shared_ratio
    from (
        select
            *,
            row_number() over (partition by document_id order by shared_ratio desc, near_duplicate_of) as pick
        from candidates
    ) as ranked
    where pick = 1
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
