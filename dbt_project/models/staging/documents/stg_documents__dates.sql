with source as (
    select * from {{ source('documents', 'document_dates') }}
),

renamed as (
    select
        document_id,
        source_file,
        -- the file's dates carry no position; equal rows (a date stated twice in one paragraph) are
        -- interchangeable, so numbering them in any order gives the same table
        row_number() over (partition by source_file order by day, role, how, precision, suspect, context) as date_index,
        day,
        precision,
        role,
        how,
        suspect,
        context
    from source
)

select * from renamed
