-- One row per cluster, year and view (first_published, latest) in which any member city has a figure.
-- Totals are whole-city figures summed over the plan's members; they are null unless every member has
-- one (the *_reported columns give the same measure over the members that have). Each view takes every
-- member's figure by its own vintage order (mart_cluster_member_year).
{%- set sums = var('cluster_sums') %}
{%- set vintages = var('vintages') %}
with city_year as (
    select * from {{ ref('mart_cluster_member_year') }}
),

clusters as (
    select cluster_id, member_count, partial_member_count from {{ ref('dim_cluster') }}
),

aggregated as (
    select
        cluster_id,
        year,
        statistics_view,
        count(gdp_yuan) as gdp_cities_reported,
        sum(gdp_yuan) as gdp_reported_yuan,
        max(gdp_yuan) as largest_city_gdp_yuan,
        max_by(city_code, gdp_yuan) as largest_city_code,
        count(population_persons) as population_cities_reported,
        sum(population_persons) as population_reported_persons,
        case
            when count(*) filter (where population_indicator = 'population_year_end') = count(population_persons)
                then 'year_end'
            when count(*) filter (where population_indicator = 'population_year_end') = 0 then 'census'
            else 'mixed'
        end as population_basis,
        {%- for vintage in vintages %}
        count(*) filter (where gdp_vintage = '{{ vintage }}') as gdp_{{ vintage }}_cities,
        count(*) filter (where population_vintage = '{{ vintage }}') as population_{{ vintage }}_cities,
        {%- endfor %}
        -- members with both figures, for the per-capita figure of an incomplete year
        sum(gdp_yuan) filter (where population_persons is not null) as paired_gdp_yuan,
        sum(population_persons) filter (where gdp_yuan is not null) as paired_population_persons,
        count(*) filter (where gdp_yuan >= 1e12) as trillion_yuan_gdp_cities,
        count(*) filter (where population_persons >= 1e7) as ten_million_population_cities,
        -- for the HHI: sum over members of (g / total)^2 = (sum of g^2) / total^2
        sum(gdp_yuan * gdp_yuan) as sum_of_squared_gdp,
        {%- for indicator, column in sums.items() %}
        count({{ column }}) as {{ indicator }}_cities_reported,
        sum({{ column }}) as {{ column }}_reported{{ ',' if not loop.last }}
        {%- endfor %}
    from city_year
    group by cluster_id, year, statistics_view
),

national as (
    select statistics_view, year, value as national_gdp_yuan
    from {{ ref('fct_province_year') }}
    where region_level = 'nation' and indicator = 'gdp'
),

complete as (
    select
        aggregated.*,
        clusters.member_count,
        clusters.partial_member_count,
        case when gdp_cities_reported = member_count then gdp_reported_yuan end as gdp_yuan,
        case
            when population_cities_reported = member_count then population_reported_persons
        end as population_persons,
        {%- for indicator, column in sums.items() %}
        case
            when {{ indicator }}_cities_reported = member_count
                then {{ column }}_reported
        end as {{ column }},
        {%- endfor %}
        national.national_gdp_yuan
    from aggregated
    inner join clusters on aggregated.cluster_id = clusters.cluster_id
    left join national
        on aggregated.year = national.year and aggregated.statistics_view = national.statistics_view
),

measured as (
    select
        *,
        gdp_yuan / population_persons as gdp_per_capita_yuan,
        gdp_yuan / national_gdp_yuan as share_of_national_gdp,
        case when gdp_yuan is not null then largest_city_gdp_yuan / gdp_yuan end as largest_city_gdp_share,
        paired_gdp_yuan / paired_population_persons as gdp_per_capita_reported_yuan,
        gdp_reported_yuan / national_gdp_yuan as share_of_national_gdp_reported,
        largest_city_gdp_yuan / gdp_reported_yuan as largest_city_gdp_share_reported,
        case
            when gdp_yuan is not null
                then sum_of_squared_gdp / (gdp_yuan * gdp_yuan)
        end as gdp_hhi,
        lag(gdp_yuan) over (partition by cluster_id, statistics_view order by year) as previous_gdp_yuan,
        lag(year) over (partition by cluster_id, statistics_view order by year) as previous_year
    from complete
)

select
    cluster_id,
    year,
    statistics_view,
    member_count,
    partial_member_count,
    gdp_cities_reported,
    population_cities_reported,
    gdp_yuan,
    gdp_reported_yuan,
    population_persons,
    population_reported_persons,
    population_basis,
    {#- which release each member's figure is: counts per vintage, and the mix as text -#}
    {%- for vintage in vintages %}
    gdp_{{ vintage }}_cities,
    {%- endfor %}
    {%- for vintage in vintages %}
    population_{{ vintage }}_cities,
    {%- endfor %}
    {%- for measure in ['gdp', 'population'] %}
    concat_ws(
        ', '
        {%- for vintage in vintages %},
        case when {{ measure }}_{{ vintage }}_cities > 0 then '{{ vintage }} ' || cast({{ measure }}_{{ vintage }}_cities as {{ dbt.type_string() }}) end
        {%- endfor %}
    ) as {{ measure }}_vintage_mix,
    {%- endfor %}
    gdp_per_capita_yuan,
    gdp_per_capita_reported_yuan,
    national_gdp_yuan,
    share_of_national_gdp,
    share_of_national_gdp_reported,
    case
        when previous_year = year - 1 then 100 * (gdp_yuan / previous_gdp_yuan - 1)
    end as gdp_growth_nominal_pct,
    trillion_yuan_gdp_cities,
    ten_million_population_cities,
    case when gdp_yuan is not null then largest_city_code end as largest_city_code,
    largest_city_gdp_share,
    largest_city_gdp_share_reported,
    gdp_hhi,
    {%- for indicator, column in sums.items() %}
    {{ indicator }}_cities_reported,
    {{ column }},
    {%- endfor %}
    -- industry structure: each sector's share of the sum of the three (GDP by production)
    value_added_primary_yuan
        / (value_added_primary_yuan + value_added_secondary_yuan + value_added_tertiary_yuan) as primary_sector_share,
    value_added_secondary_yuan
        / (value_added_primary_yuan + value_added_secondary_yuan + value_added_tertiary_yuan) as secondary_sector_share,
    value_added_tertiary_yuan
        / (value_added_primary_yuan + value_added_secondary_yuan + value_added_tertiary_yuan) as tertiary_sector_share,
    population_persons / land_area_km2 as population_density_per_km2,
    retail_sales_yuan / population_persons as retail_sales_per_capita_yuan,
    budget_revenue_yuan / population_persons as budget_revenue_per_capita_yuan,
    budget_revenue_yuan / budget_expenditure_yuan as budget_revenue_to_expenditure
from measured
