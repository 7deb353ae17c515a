-- One row per claim a document makes about a scope of several places, beside the figures as first
-- published (what its author could know):
--   count      "5个城市常住人口超千万", "9个城市GDP超万亿元", "5座万亿城市": how many cities of the
--              clusters the sentence names (三大城市群: all three) reach 10 million residents or 1
--              trillion yuan of GDP, and which;
--   aggregate  GDP or population of a cluster, sub-region or macro region ("长株潭…GDP约1.5万亿元"): the
--              sum over its members (seeds cluster_members, region_groups);
--   share      a scope's share of national GDP ("中部地区…占比22.13%");
--   rank       a city's place among a macro region's cities in crossing 1 trillion yuan of GDP
--              ("长沙…成为中部第二个突破万亿元大关的城市"): 1 + the region's cities that crossed in an earlier
--              year (official_cities lists the crossings up to the city's, with their years).
-- A claim without a year of its own speaks of the latest year an earlier claim of its paragraph names.
-- Status: agrees / differs (macros/claim_status.sql), incomplete when members lack the figure (named in
-- missing_members; a count already above the claim differs whatever they hold), no_statistic when the
-- scope has no member list or no national figure.
with claims as (
    select * from {{ ref('fct_document_claims') }}
),

cluster_names as (
    select alias, entity_code as cluster_id from {{ ref('place_aliases') }} where entity_type = 'cluster'
),

prior_year as (
    select later.claim_id, max(earlier.claim_index) as prior_index
    from claims as later
    inner join claims as earlier
        on earlier.document_id = later.document_id
        and earlier.paragraph_index = later.paragraph_index
        and earlier.claim_index < later.claim_index
        and earlier.year is not null
    where later.year is null
    group by later.claim_id
),

dated as (
    select
        claims.*,
        coalesce(claims.year, earlier.year) as scope_year,
        case when claims.year is not null then 'stated' when earlier.year is not null then 'paragraph' end
            as year_basis
    from claims
    left join prior_year on claims.claim_id = prior_year.claim_id
    left join claims as earlier
        on earlier.document_id = claims.document_id and earlier.claim_index = prior_year.prior_index
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
),

-- the members of each claim's scope: the clusters a count's sentence names (三大城市群: all three), a
-- cluster's plan members, a sub-region's or macro region's members
count_clusters as (
    select distinct scoped.claim_id, clusters.cluster_id
    from scoped
    cross join {{ ref('clusters') }} as clusters
    where scoped.claim_type = 'count' and scoped.sentence like '%三大城市群%'
    union
    select distinct scoped.claim_id, cluster_names.cluster_id
    from scoped
    inner join cluster_names on scoped.sentence like '%' || cluster_names.alias || '%'
    where scoped.claim_type = 'count' and scoped.sentence not like '%三大城市群%'
),

members as (
    select count_clusters.claim_id, 'city' as member_level, cluster_members.city_code as member_code
    from count_clusters
    inner join {{ ref('cluster_members') }} as cluster_members
        on count_clusters.cluster_id = cluster_members.cluster_id
    union all
    select scoped.claim_id, 'city' as member_level, cluster_members.city_code as member_code
    from scoped
    inner join {{ ref('cluster_members') }} as cluster_members on scoped.scope_code = cluster_members.cluster_id
    where scoped.scope_type = 'cluster'
    union all
    select scoped.claim_id, groups.member_level, groups.member_code
    from scoped
    inner join {{ ref('region_groups') }} as groups on scoped.scope_code = groups.group_code
    where scoped.scope_type in ('sub_region', 'region')
),

-- each member's figure as first published: a city's as its cluster total takes it, a province's
member_figures as (
    select
        'city' as member_level, city_code as member_code, year,
        max(gdp_yuan) as gdp, max(gdp_vintage) as gdp_vintage,
        max(population_persons) as population, max(population_vintage) as population_vintage
    from {{ ref('mart_cluster_member_year') }}
    where statistics_view = 'first_published'
    group by city_code, year
    union all
    select
        'province' as member_level, region_code as member_code, year,
        max(value) filter (where indicator = 'gdp') as gdp,
        max(vintage) filter (where indicator = 'gdp') as gdp_vintage,
        max(value) filter (where indicator = 'population_year_end') as population,
        max(vintage) filter (where indicator = 'population_year_end') as population_vintage
    from {{ ref('fct_province_year') }}
    where statistics_view = 'first_published' and region_level = 'province'
    group by region_code, year
),

names as (
    select 'city' as member_level, city_code as member_code, city_name_zh as member_name from {{ ref('dim_city') }}
    union all
    select 'province' as member_level, region_code as member_code, region_name_zh as member_name
    from {{ ref('regions') }}
    where region_level = 'province'
),

member_values as (
    select
        members.claim_id,
        coalesce(names.member_name, members.member_code) as member_name,
        case scoped.indicator when 'gdp' then figures.gdp else figures.population end as figure,
        case scoped.indicator when 'gdp' then figures.gdp_vintage else figures.population_vintage end as vintage,
        scoped.threshold
    from members
    inner join scoped on members.claim_id = scoped.claim_id
    left join member_figures as figures
        on members.member_level = figures.member_level
        and members.member_code = figures.member_code
        and scoped.scope_year = figures.year
    left join names on members.member_level = names.member_level and members.member_code = names.member_code
),

by_claim as (
    select
        claim_id,
        count(*) as members_in_scope,
        count(figure) as members_with_figure,
        sum(figure) as members_sum,
        count(*) filter (where figure >= threshold) as cities_over_threshold,
        {{ string_agg_sorted('case when figure >= threshold then member_name end', "'、'") }} as official_cities,
        {{ string_agg_sorted('case when figure is null then member_name end', "'、'") }} as missing_members,
        {{ string_agg_sorted('vintage', "', '", distinct=true) }} as vintages
    from member_values
    group by claim_id
),

national as (
    select year, value as national_gdp
    from {{ ref('fct_province_year') }}
    where statistics_view = 'first_published' and region_level = 'nation' and indicator = 'gdp'
),

compared as (
    select
        scoped.*,
        {{ claim_kind('scoped.qualifier') }} as claim_kind,
        coalesce(by_claim.members_in_scope, 0) as members_in_scope,
        coalesce(by_claim.members_with_figure, 0) as members_with_figure,
        by_claim.missing_members,
        by_claim.official_cities,
        by_claim.vintages as official_vintages,
        case
            when scoped.claim_type = 'count' then cast(by_claim.cities_over_threshold as double)
            when by_claim.members_with_figure < by_claim.members_in_scope then null
            when scoped.claim_type = 'share' then 100 * by_claim.members_sum / national.national_gdp
            else by_claim.members_sum
        end as official_value
    from scoped
    left join by_claim on scoped.claim_id = by_claim.claim_id
    left join national on scoped.scope_year = national.year
)
,

-- ranks: "…成为中部第二个突破万亿元大关的城市", about the city of the sentence's GDP claim
ranked as (
    select
        *,
        regexp_extract(sentence, '(中部|东部|西部|东北)(?:地区)?第(?:[一二三四五六七八九十]+|[0-9]+)个(?:城市)?(?:突破|超过|跨过|迈入)万亿', 1)
            as region_word,
        regexp_extract(sentence, '(?:中部|东部|西部|东北)(?:地区)?第([一二三四五六七八九十]+|[0-9]+)个', 1) as rank_word
    from dated
    where entity_type = 'city' and metric = 'gdp'
),

rank_claims as (
    select
        *,
        case region_word when '中部' then 'central' when '东部' then 'east' when '西部' then 'west' else 'northeast' end
            as region_code,
        cast(case rank_word
            when '一' then '1' when '二' then '2' when '三' then '3' when '四' then '4' when '五' then '5'
            when '六' then '6' when '七' then '7' when '八' then '8' when '九' then '9' when '十' then '10'
            else rank_word
        end as double) as claimed_rank
    from ranked
    where region_word <> ''
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
        'gdp' as indicator,
        1e12 as threshold,
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

select
    claim_id,
    document_id,
    paragraph_index,
    claim_type,
    scope_type,
    scope_code,
    scope_year as year,
    year_basis,
    indicator,
    threshold,
    claimed_value,
    unit,
    qualifier,
    official_value,
    members_in_scope,
    members_with_figure,
    case when scope_year is not null then missing_members end as missing_members,
    official_cities,
    official_vintages,
    case
        when members_in_scope = 0 or scope_year is null then 'no_statistic'
        when claim_type = 'count' and official_value > claimed_value then 'differs'
        when members_with_figure < members_in_scope then 'incomplete'
        when claim_type = 'count' then case when official_value = claimed_value then 'agrees' else 'differs' end
        else {{ claim_status('claim_kind', "claim_type = 'share'", 'claimed_value', 'official_value') }}
    end as status,
    sentence
from compared
union all
select * from ranks
