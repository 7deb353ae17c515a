-- One row per document and cluster it touches: the cluster named directly or by an alias, its
-- sub-regions (长株潭, 武汉城市圈 …) and its member cities. Incremental on DuckDB: a refresh redoes the
-- documents of new, changed and deleted files only, and every document when a city changes cluster.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}
with mentions as (
    select * from {{ ref('int_document_mentions_deduplicated') }}
    where {{ documents_to_rebuild(fingerprint=fingerprint_of(ref('dim_city'), ['city_code', 'cluster_id'])) }}
),

attributed as (
    select
        mentions.document_id,
        coalesce(mentions.cluster_id, cities.cluster_id) as cluster_id,
        mentions.entity_type,
        mentions.entity_name
    from mentions
    left join {{ ref('dim_city') }} as cities
        on mentions.entity_type = 'city' and mentions.entity_code = cities.city_code
)

select
    document_id,
    cluster_id,
    count(*) as mentions,
    count(*) filter (where entity_type = 'cluster') as cluster_mentions,
    count(*) filter (where entity_type = 'sub_region') as sub_region_mentions,
    count(*) filter (where entity_type = 'city') as city_mentions,
    count(distinct entity_name) filter (where entity_type = 'city') as distinct_cities,
    {{ string_agg_sorted('entity_name', "'、'", distinct=true) }} as names_mentioned
from attributed
where cluster_id is not null
group by document_id, cluster_id
