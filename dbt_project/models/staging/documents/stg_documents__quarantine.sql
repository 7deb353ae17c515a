with source as (
    select * from {{ source('documents', 'document_quarantine') }}
),

renamed as (
    select * from source
)

select * from renamed
