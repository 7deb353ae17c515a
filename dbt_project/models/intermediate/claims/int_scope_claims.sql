-- One row per claim about a scope of several places that the statistics can answer: a count of cities
-- over a threshold ("5个城市常住人口超千万", "9个城市GDP超万亿元", "5座万亿城市"), a scope's GDP or
-- population (aggregate) or its share of national GDP (share), with the indicator it is about. The
-- document parser (orchestration/documents/claims.py) says which claims these are (scope_kind), their
-- indicator, threshold and scope, and the year each speaks of.
with claims as (
    select * from {{ ref('fct_document_claims') }}
    where scope_kind in ('count', 'aggregate', 'share')
)

select
    claim_id,
    document_id,
    paragraph_index,
    scope_kind as claim_type,
    scope_indicator as indicator,
    scope_threshold as threshold,
    value as claimed_value,
    unit,
    qualifier,
    claim_year as scope_year,
    year_basis,
    sentence,
    case when scope_kind = 'count' then 'clusters' else entity_type end as scope_type,
    scope_code
from claims
