-- One row per scope claim and member of its scope: the cities of the clusters a count's sentence names
-- (三大城市群: all three), a cluster's plan members, a sub-region's or macro region's members (seeds
-- cluster_members, region_groups), each with its name.
with scoped as (
    select * from {{ ref('int_scope_claims') }}
),

cluster_names as (
    select alias, entity_code as cluster_id from {{ ref('place_aliases') }} where entity_type = 'cluster'
),

-- the clusters whose plan members a claim's scope is: those a count's sentence names, or the claim's own
claim_clusters as (
    select scoped.claim_id, clusters.cluster_id
    from scoped
    cross join (select distinct cluster_id from {{ ref('cluster_members') }}) as clusters
    where scoped.claim_type = 'count' and scoped.sentence like '%三大城市群%'
    union
    select scoped.claim_id, cluster_names.cluster_id
    from scoped
    inner join cluster_names on scoped.sentence like '%' || cluster_names.alias || '%'
    where scoped.claim_type = 'count' and scoped.sentence not like '%三大城市群%'
    union
    select claim_id, scope_code as cluster_id
    from scoped
    where scope_type = 'cluster'
),

members as (
    select claim_clusters.claim_id, 'city' as member_level, cluster_members.city_code as member_code
    from claim_clusters
    inner join {{ ref('cluster_members') }} as cluster_members
        on claim_clusters.cluster_id = cluster_members.cluster_id
    union all
    select scoped.claim_id, groups.member_level, groups.member_code
    from scoped
    inner join {{ ref('region_groups') }} as groups on scoped.scope_code = groups.group_code
    where scoped.scope_type in ('sub_region', 'region')
),

names as (
    select 'city' as member_level, city_code as member_code, city_name_zh as member_name from {{ ref('dim_city') }}
    union all
    select 'province' as member_level, region_code as member_code, region_name_zh as member_name
    from {{ ref('regions') }}
    where region_level = 'province'
)

select
    members.claim_id,
    members.member_level,
    members.member_code,
    coalesce(names.member_name, members.member_code) as member_name
from members
left join names on members.member_level = names.member_level and members.member_code = names.member_code
