{#- Claims whose (document_id, paragraph_index) is not a paragraph of the document. -#}
{% test claims_point_at_paragraphs(model) %}
select claims.document_id, claims.paragraph_index
from {{ model }} as claims
left join {{ ref('int_document_paragraphs_deduplicated') }} as paragraphs
    on claims.document_id = paragraphs.document_id and claims.paragraph_index = paragraphs.paragraph_index
where paragraphs.document_id is null
{% endtest %}
