with clusters as (
    select * from {{ ref('clusters') }}
),

members as (
    select
        cluster_id,
        count(*) as member_count,
        count(*) filter (where coverage = 'part') as partial_member_count
    from {{ ref('cluster_members') }}
    group by cluster_id
)

select
    clusters.cluster_id,
    clusters.cluster_name_zh,
    clusters.cluster_short_name_zh,
    clusters.cluster_name_en,
    clusters.plan_name_zh,
    clusters.plan_year,
    coalesce(members.member_count, 0) as member_count,
    coalesce(members.partial_member_count, 0) as partial_member_count
from clusters
left join members on clusters.cluster_id = members.cluster_id
