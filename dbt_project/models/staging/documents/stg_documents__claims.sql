with source as (
    select * from {{ source('raw', 'document_claims') }}
),

renamed as (
    select * from source
)

select * from renamed
