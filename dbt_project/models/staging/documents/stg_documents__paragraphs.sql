with source as (
    select * from {{ source('documents', 'document_paragraphs') }}
),

renamed as (
    select * from source
)

select * from renamed
