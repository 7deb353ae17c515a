-- Rows of the file that stands for each document (see stg_documents__documents).
with source as (
    select * from {{ source('raw', 'document_mentions') }}
),

representatives as (
    select document_id, source_file from {{ ref('stg_documents__documents') }}
),

renamed as (
    select source.* exclude (source_file)
    from source
    inner join representatives
        on source.document_id = representatives.document_id and source.source_file = representatives.source_file
)

select * from renamed
