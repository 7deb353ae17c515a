-- One row per distinct document: files with the same text carry the same document_id, and the first
-- of them by path stands for the document.
with documents as (
    select * from {{ ref('stg_documents__documents') }}
),

ranked as (
    select *, row_number() over (partition by document_id order by source_file) as file_rank
    from documents
)

select {{ star_except('ranked', ['file_rank']) }}
from ranked
where file_rank = 1
