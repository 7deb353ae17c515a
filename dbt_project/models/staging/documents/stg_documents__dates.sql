with source as (
    select * from {{ source('raw', 'document_dates') }}
),

renamed as (
    select * from source
)

select * from renamed
