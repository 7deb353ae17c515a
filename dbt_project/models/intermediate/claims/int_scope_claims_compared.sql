-- One row per count, aggregate or share claim (int_scope_claims) beside the official figure over its
-- scope's members as first published: how many members reach the threshold (count), their sum
-- (aggregate), their sum over national GDP (share); null when a member lacks the figure, except for a
-- count, whose members without a figure are named in missing_members.
with scoped as (
    select * from {{ ref('int_scope_claims') }}
),

members as (
    select * from {{ ref('int_scope_claim_members') }}
),

figures as (
    select * from {{ ref('int_place_year_figures_first_published') }}
),

member_values as (
    select
        members.claim_id,
        members.member_name,
        case scoped.indicator when 'gdp' then figures.gdp else figures.population end as figure,
        case scoped.indicator when 'gdp' then figures.gdp_vintage else figures.population_vintage end as vintage,
        scoped.threshold
    from members
    inner join scoped on members.claim_id = scoped.claim_id
    left join figures
        on members.member_level = figures.member_level
        and members.member_code = figures.member_code
        and scoped.scope_year = figures.year
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
    select year, gdp as national_gdp from figures where member_level = 'nation'
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
