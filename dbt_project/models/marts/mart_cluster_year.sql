-- One row per cluster and year in which any member city has a figure. Totals are whole-city figures
-- summed over the plan's members; they are null unless every member reported (the *_reported columns
-- give the same measure over the members that reported).
with members as (
    select cluster_id, city_code from {{ ref('cluster_members') }}
),

clusters as (
    select cluster_id, member_count, partial_member_count from {{ ref('dim_cluster') }}
),

city_year as (
    select
        members.cluster_id,
        facts.city_code,
        facts.year,
        max(facts.value) filter (where facts.indicator = 'gdp') as gdp_yuan,
        max(facts.value) filter (where facts.indicator = 'population_year_end') as population_year_end,
        max(facts.value) filter (where facts.indicator = 'population_census') as population_census
    from {{ ref('fct_city_year') }} as facts
    inner join members on facts.city_code = members.city_code
    group by members.cluster_id, facts.city_code, facts.year
),

city_year_population as (
    select
        *,
        -- the year-end resident population, or in a census year without one, the census count
        coalesce(population_year_end, population_census) as population_persons
    from city_year
),

aggregated as (
    select
        cluster_id,
        year,
        count(gdp_yuan) as gdp_cities_reported,
        sum(gdp_yuan) as gdp_reported_yuan,
        max(gdp_yuan) as largest_city_gdp_yuan,
        max_by(city_code, gdp_yuan) as largest_city_code,
        count(population_persons) as population_cities_reported,
        sum(population_persons) as population_reported_persons,
        case
            when count(population_year_end) = count(population_persons) then 'year_end'
            when count(population_year_end) = 0 then 'census'
            else 'mixed'
        end as population_basis,
        -- members with both figures, for the per-capita figure of an incomplete year
        sum(gdp_yuan) filter (where population_persons is not null) as paired_gdp_yuan,
        sum(population_persons) filter (where gdp_yuan is not null) as paired_population_persons,
        count(*) filter (where gdp_yuan >= 1e12) as trillion_yuan_gdp_cities,
        count(*) filter (where population_persons >= 1e7) as ten_million_population_cities,
        -- for the HHI: sum over members of (g / total)^2 = (sum of g^2) / total^2
        sum(gdp_yuan * gdp_yuan) as sum_of_squared_gdp
    from city_year_population
    group by cluster_id, year
),

national as (
    select year, value as national_gdp_yuan
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
        national.national_gdp_yuan
    from aggregated
    inner join clusters on aggregated.cluster_id = clusters.cluster_id
    left join national on aggregated.year = national.year
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
        lag(gdp_yuan) over (partition by cluster_id order by year) as previous_gdp_yuan,
        lag(year) over (partition by cluster_id order by year) as previous_year
    from complete
)

select
    cluster_id,
    year,
    member_count,
    partial_member_count,
    gdp_cities_reported,
    population_cities_reported,
    gdp_yuan,
    gdp_reported_yuan,
    population_persons,
    population_reported_persons,
    population_basis,
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
    gdp_hhi
from measured
