with source as (
    select * from {{ source('documents', 'document_claims') }}
),

renamed as (
    select * from source
)

select * from renamed
