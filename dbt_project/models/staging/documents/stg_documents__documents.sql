-- Files with the same text carry the same document_id; the first by path stands for the document.
with source as (
    select * from {{ source('raw', 'documents') }}
),

renamed as (
    select * from source
    qualify row_number() over (partition by document_id order by source_file) = 1
)

select * from renamed
