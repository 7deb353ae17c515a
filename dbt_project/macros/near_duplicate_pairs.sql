{#- Pairs of documents where the later one (by file path) shares at least half of the shorter one's
    paragraphs of 20 characters or more with the earlier one; `only` (a predicate on document_id)
    limits the later documents looked at.

    A paragraph found in more than `near_duplicate_max_documents` documents (dbt_project.yml) is left
    out, of the shared paragraphs and of the sizes: a site's footer or notice on every page says
    nothing about whether two pages are copies, and a paragraph in K documents makes K² pairs (100,000
    pages with one footer: 5 billion rows, and every two-paragraph page a near-duplicate of the first).

    Each paragraph carries its document's path and paragraph count before the pairs are formed, so the
    pairs come from one join, on the paragraph hash with the path order beside it. Looking the paths up
    after the pairs instead let DuckDB 2.0 join the documents' paths to each other on the path order
    first, a cross product of the documents: at 100k documents it spilled 70 GB to disk and failed. -#}
{% macro near_duplicate_pairs(only=none) %}
with found as (
    select
        hashed.document_id,
        hashed.paragraph_hash,
        documents.source_file,
        count(*) over (partition by hashed.paragraph_hash) as documents_with_it
    from {{ ref('int_document_paragraphs_hashed') }} as hashed
    inner join {{ ref('int_documents_deduplicated') }} as documents on hashed.document_id = documents.document_id
),

hashed as (
    select
        document_id,
        paragraph_hash,
        source_file,
        count(*) over (partition by document_id) as paragraphs
    from found
    where documents_with_it <= {{ var('near_duplicate_max_documents') }}
),

later as (
    select * from hashed
    {%- if only %}
    where {{ only }}
    {%- endif %}
),

shared as (
    select
        later.document_id,
        earlier.document_id as near_duplicate_of,
        count(*) as shared_paragraphs,
        least(later.paragraphs, earlier.paragraphs) as shorter
    from later
    inner join hashed as earlier
        on later.paragraph_hash = earlier.paragraph_hash and earlier.source_file < later.source_file
    group by later.document_id, earlier.document_id, later.paragraphs, earlier.paragraphs
)

select
    document_id,
    near_duplicate_of,
    shared_paragraphs,
    round(shared_paragraphs / shorter, 4) as shared_ratio
from shared
where shared_paragraphs >= 0.5 * shorter
{% endmacro %}
