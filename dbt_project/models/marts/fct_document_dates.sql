select
    document_id,
    day,
    precision,
    role,
    how,
    suspect,
    context
from {{ ref('stg_documents__dates') }}
