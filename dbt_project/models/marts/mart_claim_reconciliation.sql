-- One row per claim that names a place, a metric the statistics carry and a year, beside the
-- official figure. Tolerances: exact claims within 0.1% (0.05 points for growth), 约/左右 within 2%
-- (0.3 points), 预计 within 1% (0.2 points); 超过/逾/以上/多 agree when the official figure is at least
-- the claimed one. Incremental on DuckDB: a refresh redoes the documents of new, changed and deleted
-- files only, and every document when an official figure changes.
{{ config(
    materialized=document_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_documents() }}",
    post_hook="{{ record_document_versions() }}",
) }}
{%- set official_fingerprint -%}
    {{ fingerprint_of(ref('fct_city_year'), ['city_code', 'year', 'indicator', 'value', 'source']) }}
    || '/' || {{ fingerprint_of(ref('fct_province_year'), ['region_code', 'year', 'indicator', 'value', 'source']) }}
{%- endset %}
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
        and {{ documents_to_rebuild(fingerprint=official_fingerprint) }}
),

official as (
    select city_code as region_code, year, indicator, value, source from {{ ref('fct_city_year') }}
    union all
    select region_code, year, indicator, value, source from {{ ref('fct_province_year') }}
    where region_code not in (select city_code from {{ ref('fct_city_year') }})
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
        claims.sentence,
        case
            when {{ regexp_like('claims.qualifier', "'(超过|超|逾|以上|多)'") }} then 'at_least'
            when {{ regexp_like('claims.qualifier', "'(约|左右)'") }} then 'approximate'
            when claims.qualifier like '%预计%' then 'estimate'
            else 'exact'
        end as claim_kind
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
    case
        when official_value is null then 'no_statistic'
        when claim_kind = 'at_least' then case when official_value >= claimed_value then 'agrees' else 'differs' end
        when metric = 'growth' then
            case
                when abs(claimed_value - official_value)
                    <= case claim_kind when 'approximate' then 0.3 when 'estimate' then 0.2 else 0.05 end
                    then 'agrees'
                else 'differs'
            end
        when abs(claimed_value - official_value) / abs(official_value)
            <= case claim_kind when 'approximate' then 0.02 when 'estimate' then 0.01 else 0.001 end
            then 'agrees'
        else 'differs'
    end as status
from compared
