{{ config(meta={'dagster': {'ref': {'name': 'mart_cluster_year'}}}) }}
-- A cluster's reported totals equal the sum of its members' figures in fct_city_year.
with members as (
    select cluster_id, city_code from {{ ref('cluster_members') }}
),

expected as (
    select
        members.cluster_id,
        facts.year,
        sum(facts.value) filter (where facts.indicator = 'gdp') as gdp
    from {{ ref('fct_city_year') }} as facts
    inner join members on facts.city_code = members.city_code
    group by members.cluster_id, facts.year
)

select marts.cluster_id, marts.year, marts.gdp_reported_yuan, expected.gdp
from {{ ref('mart_cluster_year') }} as marts
inner join expected on marts.cluster_id = expected.cluster_id and marts.year = expected.year
where abs(coalesce(marts.gdp_reported_yuan, 0) - coalesce(expected.gdp, 0))
    > 1e-9 * greatest(abs(coalesce(expected.gdp, 0)), 1)
    or (marts.gdp_yuan is not null and marts.gdp_yuan <> marts.gdp_reported_yuan)
