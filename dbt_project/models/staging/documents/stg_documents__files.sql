with source as (
    select * from {{ source('documents', 'document_files') }}
),

renamed as (
    select
        source_file,
        file_sha256,
        size_bytes,
        encoding,
        document_id,
        status,
        loaded_at
    from source
)

select * from renamed
