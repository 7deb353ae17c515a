-- One row per document claim with the year it speaks of: its own, or for a claim without one the
-- latest year an earlier claim of its paragraph names (year_basis: stated, paragraph).
with claims as (
    select * from {{ ref('fct_document_claims') }}
),

prior_year as (
    select later.claim_id, max(earlier.claim_index) as prior_index
    from claims as later
    inner join claims as earlier
        on earlier.document_id = later.document_id
        and earlier.paragraph_index = later.paragraph_index
        and earlier.claim_index < later.claim_index
        and earlier.year is not null
    where later.year is null
    group by later.claim_id
),

dated as (
    select
        claims.*,
        coalesce(claims.year, earlier.year) as scope_year,
        case when claims.year is not null then 'stated' when earlier.year is not null then 'paragraph' end
            as year_basis
    from claims
    left join prior_year on claims.claim_id = prior_year.claim_id
    left join claims as earlier
        on earlier.document_id = claims.document_id and earlier.claim_index = prior_year.prior_index
)

select * from dated
