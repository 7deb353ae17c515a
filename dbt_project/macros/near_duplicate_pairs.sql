{#- Pairs of documents where the later one (by file path) shares at least half of the shorter one's
    paragraphs of 20 characters or more with the earlier one; `only` (a predicate on document_id)
    limits the later documents looked at. Pairs are found through shared paragraphs only, and paths and
    sizes are looked up for the documents of those pairs only. -#}
{% macro near_duplicate_pairs(only=none) %}
with hashed as (
    select document_id, paragraph_hash from {{ ref('int_document_paragraphs_hashed') }}
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
        count(*) as shared_paragraphs
    from later
    inner join hashed as earlier
        on later.paragraph_hash = earlier.paragraph_hash and later.document_id <> earlier.document_id
    group by later.document_id, earlier.document_id
),

paths as (
    select document_id, source_file from {{ ref('stg_documents__documents') }}
),

sizes as (
    select document_id, count(*) as paragraphs from hashed group by document_id
)

select
    shared.document_id,
    shared.near_duplicate_of,
    shared.shared_paragraphs,
    round(shared.shared_paragraphs / least(later_size.paragraphs, earlier_size.paragraphs), 4) as shared_ratio
from shared
inner join paths as later_path on shared.document_id = later_path.document_id
inner join paths as earlier_path on shared.near_duplicate_of = earlier_path.document_id
inner join sizes as later_size on shared.document_id = later_size.document_id
inner join sizes as earlier_size on shared.near_duplicate_of = earlier_size.document_id
where earlier_path.source_file < later_path.source_file
    and shared.shared_paragraphs >= 0.5 * least(later_size.paragraphs, earlier_size.paragraphs)
{% endmacro %}
