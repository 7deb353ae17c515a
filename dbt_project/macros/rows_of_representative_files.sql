{#- The rows of a raw.document_* table that come from the file standing for each document
    (files with the same text share a document_id; stg_documents__documents picks one). -#}
{% macro rows_of_representative_files(source_table) %}
with source as (
    select * from {{ source('raw', source_table) }}
),

representatives as (
    select document_id, source_file from {{ ref('stg_documents__documents') }}
)

select {{ star_except('source', ['source_file']) }}
from source
inner join representatives
    on source.document_id = representatives.document_id and source.source_file = representatives.source_file
{% endmacro %}
