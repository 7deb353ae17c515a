with source as (
    select * from {{ source('raw', 'documents') }}
),

renamed as (
    select * from source
)

select * from renamed
