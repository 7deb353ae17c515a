with claims as (
    select * from {{ ref('stg_documents__claims') }}
),

cities as (
    select city_code, cluster_id from {{ ref('dim_city') }}
)

select
    claims.document_id || '-' || cast(claims.claim_index as {{ dbt.type_string() }}) as claim_id,
    claims.document_id,
    claims.claim_index,
    claims.paragraph_index,
    claims.sentence_index,
    claims.metric,
    claims.value,
    claims.value_high,
    claims.unit,
    claims.original_text,
    claims.year,
    claims.entity_type,
    claims.entity_code,
    claims.entity_name,
    case
        when claims.entity_type = 'city' then cities.cluster_id
        when claims.entity_type = 'cluster' then claims.entity_code
    end as cluster_id,
    claims.qualifier,
    claims.sentence
from claims
left join cities on claims.entity_type = 'city' and claims.entity_code = cities.city_code
