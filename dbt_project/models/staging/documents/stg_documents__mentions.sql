with source as (
    select * from {{ source('raw', 'document_mentions') }}
),

renamed as (
    select * from source
)

select * from renamed
