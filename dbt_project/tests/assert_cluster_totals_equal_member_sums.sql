{{ config(meta={'dagster': {'ref': {'name': 'mart_cluster_year'}}}) }}
-- In each view, a cluster's reported GDP equals the sum of its members' figures in fct_city_year.
with members as (
    select cluster_id, city_code from {{ ref('cluster_members') }}
),

expected as (
    select
        members.cluster_id,
        facts.year,
        facts.statistics_view,
        sum(facts.value) filter (where facts.indicator = 'gdp') as gdp
    from {{ ref('fct_city_year') }} as facts
    inner join members on facts.city_code = members.city_code
    group by members.cluster_id, facts.year, facts.statistics_view
)

select marts.cluster_id, marts.year, marts.statistics_view, marts.gdp_reported_yuan, expected.gdp
from {{ ref('mart_cluster_year') }} as marts
inner join expected
    on marts.cluster_id = expected.cluster_id
    and marts.year = expected.year
    and marts.statistics_view = expected.statistics_view
where abs(coalesce(marts.gdp_reported_yuan, 0) - coalesce(expected.gdp, 0))
    > 1e-9 * greatest(abs(coalesce(expected.gdp, 0)), 1)
    or (marts.gdp_yuan is not null and marts.gdp_yuan <> marts.gdp_reported_yuan)
