-- Incremental on DuckDB: a refresh redoes the documents of new, changed and deleted files only, and
-- every document when a city changes cluster.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}

with claims as (
    select * from {{ ref('int_document_claims_deduplicated') }}
    where {{ documents_to_rebuild(fingerprint=fingerprint_of(ref('dim_city'), ['city_code', 'cluster_id'])) }}
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
    claims.sentence,
    claims.scope_kind,
    claims.scope_indicator,
    claims.scope_threshold,
    claims.scope_code,
    claims.claimed_rank,
    claims.claim_year,
    claims.year_basis
from claims
left join cities on claims.entity_type = 'city' and claims.entity_code = cities.city_code
