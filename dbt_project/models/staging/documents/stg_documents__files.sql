with source as (
    select * from {{ source('raw', 'document_files') }}
),

renamed as (
    select * from source
)

select * from renamed
