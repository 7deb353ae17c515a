-- One row per city, province or the nation and year with a figure: its GDP and population as first
-- published (what a document's author could know) and which release each is. A city's are those its
-- cluster total takes (mart_cluster_member_year), a province's and the nation's from fct_province_year.
select
    'city' as member_level, city_code as member_code, year,
    max(gdp_yuan) as gdp, max(gdp_vintage) as gdp_vintage,
    max(population_persons) as population, max(population_vintage) as population_vintage
from {{ ref('mart_cluster_member_year') }}
where statistics_view = 'first_published'
group by city_code, year
union all
select
    region_level as member_level, region_code as member_code, year,
    max(value) filter (where indicator = 'gdp') as gdp,
    max(vintage) filter (where indicator = 'gdp') as gdp_vintage,
    max(value) filter (where indicator = 'population_year_end') as population,
    max(vintage) filter (where indicator = 'population_year_end') as population_vintage
from {{ ref('fct_province_year') }}
where statistics_view = 'first_published' and region_level in ('province', 'nation')
group by region_level, region_code, year
