-- Incremental on DuckDB: a refresh builds the documents of new and changed files only and deletes the
-- rows of those gone (macros/incremental_documents.sql). A city's cluster comes from the seed
-- cluster_members, which the documents are read with too: when it changes, the documents asset reads
-- every document again (a new loaded_at for each), and every document is built again.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='merge',
    unique_key='claim_id',
    merge_clauses=document_merge_clauses(),
) }}

with claims as (
    select claims.*, versions.source_file, versions.loaded_at
    from {{ ref('int_document_claims_deduplicated') }} as claims
    inner join ({{ documents_to_build() }}) as versions on claims.document_id = versions.document_id
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
    claims.year_basis,
    claims.source_file,
    claims.loaded_at
from claims
left join cities on claims.entity_type = 'city' and claims.entity_code = cities.city_code
