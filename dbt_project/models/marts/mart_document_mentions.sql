-- One row per document and cluster it touches: the cluster named directly or by an alias, its
-- sub-regions (长株潭, 武汉城市圈 …) and its member cities. Incremental on DuckDB: a refresh builds the
-- documents of new and changed files only and deletes the rows of those gone
-- (macros/incremental_documents.sql). A city's cluster comes from the seed cluster_members, which the
-- documents are read with too (the mentions' own cluster_id): when it changes, the documents asset reads
-- every document again (a new loaded_at for each), and every document is built again.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='merge',
    unique_key=['document_id', 'cluster_id'],
    merge_clauses=document_merge_clauses(),
) }}
with mentions as (
    select mentions.*, versions.source_file, versions.loaded_at
    from {{ ref('int_document_mentions_deduplicated') }} as mentions
    inner join ({{ documents_to_build() }}) as versions on mentions.document_id = versions.document_id
),

attributed as (
    select
        mentions.document_id,
        coalesce(mentions.cluster_id, cities.cluster_id) as cluster_id,
        mentions.entity_type,
        mentions.entity_name,
        mentions.source_file,
        mentions.loaded_at
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
    {{ string_agg_sorted('entity_name', "'、'", distinct=true) }} as names_mentioned,
    source_file,
    loaded_at
from attributed
where cluster_id is not null
group by document_id, cluster_id, source_file, loaded_at
