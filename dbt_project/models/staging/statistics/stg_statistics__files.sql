with source as (
    select * from {{ source('statistics', 'statistics_files') }}
),

renamed as (
    select
        source_file,
        file_sha256,
        size_bytes,
        cast(raw_root_rank as integer) as raw_root_rank,
        encoding,
        layout,
        cast(observations as integer) as observations,
        cast(quarantined as integer) as quarantined_cells,
        cast(empty_cells as integer) as empty_cells,
        ignored_columns,
        notes,
        error,
        loaded_at
    from source
)

select * from renamed
