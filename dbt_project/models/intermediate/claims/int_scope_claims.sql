-- One row per claim about a scope of several places that the statistics can answer: a count of cities
-- over a threshold ("5个城市常住人口超千万", "9个城市GDP超万亿元", "5座万亿城市"), a scope's GDP or
-- population (aggregate) or its share of national GDP (share), with the indicator it is about.
with dated as (
    select * from {{ ref('int_claims_dated') }}
),

counted as (
    select
        *,
        regexp_extract(
            sentence, original_text || '(?:城市)?(常住人口|人口|GDP|地区生产总值|经济总量)(?:超过|超|突破|逾|达到|达|过)(?:千万|1000万|万亿|1万亿)', 1
        ) as subject,
        regexp_extract(sentence, original_text || '(万亿|千万人口)(?:元|级)*城市', 1) as kind_word
    from dated
    where metric = 'count'
),

counts as (
    select
        *,
        case
            when subject in ('常住人口', '人口') or kind_word = '千万人口' then 'population'
            when subject <> '' or kind_word = '万亿' then 'gdp'
        end as indicator
    from counted
),

count_claims as (
    select
        *,
        case indicator when 'population' then 1e7 else 1e12 end as threshold
    from counts
    where indicator is not null
),

aggregate_claims as (
    select
        *,
        case when metric = 'share' then 'gdp' else metric end as indicator,
        cast(null as double) as threshold
    from dated
    where entity_type in ('cluster', 'sub_region', 'region')
        and (metric in ('gdp', 'population') or (metric = 'share' and unit = 'percent'))
),

scoped as (
    select
        claim_id, document_id, paragraph_index, 'count' as claim_type, indicator, threshold, value as claimed_value,
        unit, qualifier, scope_year, year_basis, sentence, 'clusters' as scope_type,
        cast(null as {{ dbt.type_string() }}) as scope_code
    from count_claims
    union all
    select
        claim_id, document_id, paragraph_index,
        case when metric = 'share' then 'share' else 'aggregate' end as claim_type, indicator, threshold,
        value as claimed_value, unit, qualifier, scope_year, year_basis, sentence, entity_type as scope_type,
        entity_code as scope_code
    from aggregate_claims
)

select * from scoped
