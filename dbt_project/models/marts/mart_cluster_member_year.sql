-- One row per cluster member, year and view in which the member has a figure: its GDP and population
-- and which release each is (the figures mart_cluster_year sums). A member's population is its
-- year-end resident population or its census count, whichever the view ranks first (the year-end one
-- at equal rank).
{%- set sums = var('cluster_sums') %}
with members as (
    select cluster_id, city_code from {{ ref('cluster_members') }}
),

vintages as (
    select * from {{ ref('vintages') }}
),

member_figures as (
    select
        members.cluster_id,
        facts.*,
        case
            when facts.statistics_view = 'first_published' then vintages.first_published_precedence
            else vintages.latest_precedence
        end * 2 + case when facts.indicator = 'population_census' then 1 else 0 end as population_rank
    from {{ ref('fct_city_year') }} as facts
    inner join members on facts.city_code = members.city_code
    inner join vintages on facts.vintage = vintages.vintage
),

city_year as (
    select
        cluster_id,
        city_code,
        year,
        statistics_view,
        max(value) filter (where indicator = 'gdp') as gdp_yuan,
        max(vintage) filter (where indicator = 'gdp') as gdp_vintage,
        max(source) filter (where indicator = 'gdp') as gdp_source,
        min_by(value, population_rank)
            filter (where indicator in ('population_year_end', 'population_census')) as population_persons,
        min_by(vintage, population_rank)
            filter (where indicator in ('population_year_end', 'population_census')) as population_vintage,
        min_by(indicator, population_rank)
            filter (where indicator in ('population_year_end', 'population_census')) as population_indicator,
        min_by(source, population_rank)
            filter (where indicator in ('population_year_end', 'population_census')) as population_source,
        {%- for indicator, column in sums.items() %}
        max(value) filter (where indicator = '{{ indicator }}') as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from member_figures
    group by cluster_id, city_code, year, statistics_view
)

select * from city_year

