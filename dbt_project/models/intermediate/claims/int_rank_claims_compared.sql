-- One row per claim of a city's rank in crossing 1 trillion yuan of GDP among a macro region's cities
-- ("长沙…成为中部第二个突破万亿元大关的城市"), about the city of the sentence's GDP claim, beside the
-- official rank as first published: 1 + the region's cities that crossed in an earlier year
-- (official_cities lists the crossings up to the city's, with their years).
with rank_claims as (
    -- the document parser reads the rank, the region and the year (orchestration/documents/claims.py)
    select
        claim_id,
        document_id,
        paragraph_index,
        entity_code,
        scope_code as region_code,
        scope_indicator as indicator,
        scope_threshold as threshold,
        cast(claimed_rank as double) as claimed_rank,
        qualifier,
        claim_year as scope_year,
        year_basis,
        sentence
    from {{ ref('fct_document_claims') }}
    where scope_kind = 'rank'
),

region_cities as (
    select rank_claims.claim_id, cities.city_code, cities.city_name_zh
    from rank_claims
    inner join {{ ref('region_groups') }} as groups
        on rank_claims.region_code = groups.group_code and groups.member_level = 'province'
    inner join {{ ref('dim_city') }} as cities on groups.member_code = cities.province_code
),

crossings as (
    select city_code, min(year) as first_year
    from {{ ref('fct_city_year') }}
    where statistics_view = 'first_published' and indicator = 'gdp' and value >= 1e12
    group by city_code
),

claim_year_figures as (
    select city_code, year from {{ ref('fct_city_year') }}
    where statistics_view = 'first_published' and indicator = 'gdp'
),

rank_compared as (
    select
        rank_claims.claim_id,
        count(*) as members_in_scope,
        count(claim_year_figures.city_code) as members_with_figure,
        {{ string_agg_sorted('case when claim_year_figures.city_code is null then region_cities.city_name_zh end', "'、'") }}
            as missing_members,
        {{ string_agg_sorted(
            "case when crossings.first_year <= subject.first_year then cast(crossings.first_year as "
            ~ dbt.type_string() ~ ") || ' ' || region_cities.city_name_zh end", "'、'") }} as official_cities,
        1 + count(*) filter (where crossings.first_year < subject.first_year) as earlier_rank,
        max(subject.first_year) as subject_first_year
    from rank_claims
    inner join region_cities on rank_claims.claim_id = region_cities.claim_id
    left join crossings on region_cities.city_code = crossings.city_code
    left join crossings as subject on rank_claims.entity_code = subject.city_code
    left join claim_year_figures
        on region_cities.city_code = claim_year_figures.city_code and rank_claims.scope_year = claim_year_figures.year
    group by rank_claims.claim_id
),

ranks as (
    select
        rank_claims.claim_id,
        rank_claims.document_id,
        rank_claims.paragraph_index,
        'rank' as claim_type,
        'region' as scope_type,
        rank_claims.region_code as scope_code,
        rank_claims.scope_year as year,
        rank_claims.year_basis,
        rank_claims.indicator,
        rank_claims.threshold,
        rank_claims.claimed_rank as claimed_value,
        'rank' as unit,
        rank_claims.qualifier,
        case
            when rank_compared.subject_first_year <= rank_claims.scope_year
                then cast(rank_compared.earlier_rank as double)
        end as official_value,
        rank_compared.members_in_scope,
        rank_compared.members_with_figure,
        rank_compared.missing_members,
        rank_compared.official_cities,
        cast(null as {{ dbt.type_string() }}) as official_vintages,
        case
            when rank_claims.scope_year is null then 'no_statistic'
            when rank_compared.subject_first_year is null or rank_compared.subject_first_year > rank_claims.scope_year
                then 'differs'
            when rank_compared.earlier_rank <> rank_claims.claimed_rank then 'differs'
            when rank_compared.members_with_figure < rank_compared.members_in_scope then 'incomplete'
            else 'agrees'
        end as status,
        rank_claims.sentence
    from rank_claims
    inner join rank_compared on rank_claims.claim_id = rank_compared.claim_id
)

select * from ranks
