with source as (
    select * from {{ source('documents', 'document_mentions') }}
),

renamed as (
    select * from source
)

select * from renamed
