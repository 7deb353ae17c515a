with source as (
    select * from {{ source('raw', 'document_files') }}
),

representatives as (
    select document_id, source_file from {{ ref('stg_documents__documents') }}
),

renamed as (
    select
        source.source_file,
        source.file_sha256,
        source.size_bytes,
        source.encoding,
        source.document_id,
        case
            when source.status = 'quarantined' then 'quarantined'
            when representatives.source_file is not null then 'loaded'
            else 'duplicate'
        end as status,
        source.loaded_at
    from source
    left join representatives
        on source.document_id = representatives.document_id and source.source_file = representatives.source_file
)

select * from renamed
