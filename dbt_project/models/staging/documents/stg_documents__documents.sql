with source as (
    select * from {{ source('documents', 'documents') }}
),

renamed as (
    select * from source
)

select * from renamed
