with source as (
    select * from {{ source('raw', 'document_near_duplicates') }}
),

renamed as (
    select * from source
)

select * from renamed
