with source as (
    select * from {{ source('raw', 'document_paragraphs') }}
),

renamed as (
    select * from source
)

select * from renamed
