-- One row per file under documents/: loaded when it stands for its document, duplicate when another
-- file with the same text does, quarantined when it could not be read.
with files as (
    select * from {{ ref('stg_documents__files') }}
),

representatives as (
    select document_id, source_file from {{ ref('int_documents_deduplicated') }}
)

select
    files.source_file,
    files.file_sha256,
    files.size_bytes,
    files.encoding,
    files.document_id,
    case
        when files.status = 'quarantined' then 'quarantined'
        when representatives.source_file is not null then 'loaded'
        else 'duplicate'
    end as status,
    files.loaded_at
from files
left join representatives
    on files.document_id = representatives.document_id and files.source_file = representatives.source_file
