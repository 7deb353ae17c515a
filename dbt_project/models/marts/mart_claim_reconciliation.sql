-- One row per claim that names a place, a metric the statistics carry and a year, beside the
-- official figure as first published (what the document's author could know). Tolerances and
-- qualifiers: macros/claim_status.sql. A table built whole on each refresh: it reads the claims from
-- fct_document_claims (itself incremental) and joins them to the official figures, which change with any
-- statistics file, so there is nothing worth keeping from the last build.
with claims as (
    select
        *,
        case metric
            when 'gdp' then 'gdp'
            when 'growth' then 'gdp_growth_real'
            when 'population' then 'population_year_end'
        end as indicator
    from {{ ref('fct_document_claims') }}
    where entity_type in ('city', 'province', 'nation') and year is not null
        and metric in ('gdp', 'growth', 'population')
),

official as (
    select city_code as region_code, year, indicator, value, source, vintage from {{ ref('fct_city_year') }}
    where statistics_view = 'first_published'
    union all
    select region_code, year, indicator, value, source, vintage from {{ ref('fct_province_year') }}
    where statistics_view = 'first_published'
        and region_code not in (select city_code from {{ ref('fct_city_year') }})
),

compared as (
    select
        claims.claim_id,
        claims.document_id,
        claims.paragraph_index,
        claims.entity_type,
        claims.entity_code,
        claims.entity_name,
        claims.metric,
        claims.year,
        claims.value as claimed_value,
        claims.unit,
        claims.qualifier,
        official.value as official_value,
        official.source as official_source,
        official.vintage as official_vintage,
        claims.sentence,
        {{ claim_kind('claims.qualifier') }} as claim_kind
    from claims
    left join official
        on claims.entity_code = official.region_code
        and claims.year = official.year
        and claims.indicator = official.indicator
)

select
    *,
    case when official_value <> 0 then (claimed_value - official_value) / abs(official_value) end
        as relative_difference,
    claimed_value - official_value as absolute_difference,
    {{ claim_status('claim_kind', "metric = 'growth'", 'claimed_value', 'official_value') }} as status
from compared
