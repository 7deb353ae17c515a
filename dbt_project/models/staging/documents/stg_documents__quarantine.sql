with source as (
    select * from {{ source('raw', 'document_quarantine') }}
),

renamed as (
    select * from source
)

select * from renamed
