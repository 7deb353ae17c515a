-- One row per document sharing at least half of the shorter one's paragraphs (of 20 characters or
-- more) with an earlier document (by file path); pairs are found through shared paragraphs only.
with paragraphs as (
    select distinct paragraphs.document_id, documents.source_file, md5(paragraphs.text) as paragraph_hash
    from {{ ref('stg_documents__paragraphs') }} as paragraphs
    inner join {{ ref('stg_documents__documents') }} as documents using (document_id)
    where length(paragraphs.text) >= 20
),

sizes as (
    select document_id, count(*) as paragraphs from paragraphs group by document_id
),

shared as (
    select
        later.document_id,
        earlier.document_id as near_duplicate_of,
        count(*) as shared_paragraphs
    from paragraphs as later
    inner join paragraphs as earlier
        on later.paragraph_hash = earlier.paragraph_hash and earlier.source_file < later.source_file
    group by later.document_id, earlier.document_id
)

select
    shared.document_id,
    shared.near_duplicate_of,
    shared.shared_paragraphs,
    round(shared.shared_paragraphs / least(later_size.paragraphs, earlier_size.paragraphs), 4) as shared_ratio
from shared
inner join sizes as later_size on shared.document_id = later_size.document_id
inner join sizes as earlier_size on shared.near_duplicate_of = earlier_size.document_id
where shared.shared_paragraphs >= 0.5 * least(later_size.paragraphs, earlier_size.paragraphs)
