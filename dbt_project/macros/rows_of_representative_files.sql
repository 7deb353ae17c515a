{#- The rows of a staging model of the document tables that come from the file standing for each
    document (files with the same text share a document_id; int_documents_deduplicated picks one). -#}
{% macro rows_of_representative_files(staging_model) %}
with parsed as (
    select * from {{ ref(staging_model) }}
),

representatives as (
    select document_id, source_file from {{ ref('int_documents_deduplicated') }}
)

select {{ star_except('parsed', ['source_file']) }}
from parsed
inner join representatives
    on parsed.document_id = representatives.document_id and parsed.source_file = representatives.source_file
{% endmacro %}
