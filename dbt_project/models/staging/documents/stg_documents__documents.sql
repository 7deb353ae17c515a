-- Files with the same text carry the same document_id; the first by path stands for the document.
with source as (
    select * from {{ source('raw', 'documents') }}
),

ranked as (
    select *, row_number() over (partition by document_id order by source_file) as file_rank
    from source
),

renamed as (
    select {{ star_except('ranked', ['file_rank']) }} from ranked
    where file_rank = 1
)

select * from renamed
