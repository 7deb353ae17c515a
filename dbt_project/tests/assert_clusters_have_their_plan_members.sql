{{ config(meta={'dagster': {'ref': {'name': 'dim_cluster'}}}) }}
-- Each cluster has exactly the number of members its plan names (26, 31, 16).
select dim.cluster_id, dim.member_count, plans.plan_member_count
from {{ ref('dim_cluster') }} as dim
inner join {{ ref('clusters') }} as plans on dim.cluster_id = plans.cluster_id
where dim.member_count <> plans.plan_member_count
