-- One row per resolved figure, ranked within its (region, year, indicator) for each of the two views:
-- as first published (the earliest release: first_release, final, revised, census, unstated; within a
-- vintage the earliest publication date) and latest available (revised, final, first_release, census,
-- unstated; within a vintage the latest date). The precedences are the vintages seed's. Ties go to the
-- earlier raw root, then the file path, then the row. Every figure carries how many sources and
-- vintages gave one and how far apart their values are.
with resolved as (
    select * from {{ ref('int_statistics_resolved') }}
    where resolved_region_code is not null
),

vintages as (
    select * from {{ ref('vintages') }}
),

agreement as (
    select
        resolved_region_code,
        year,
        indicator,
        count(*) as source_count,
        count(distinct vintage) as vintage_count,
        max(value) - min(value) as source_value_spread,
        case when min(value) > 0 then (max(value) - min(value)) / min(value) end as source_value_spread_ratio
    from resolved
    group by resolved_region_code, year, indicator
)

select
    resolved.*,
    row_number() over (
        partition by resolved.resolved_region_code, resolved.year, resolved.indicator
        order by
            vintages.first_published_precedence, resolved.published_on nulls last,
            resolved.raw_root_rank, resolved.source_file, resolved.source_row
    ) as first_published_rank,
    row_number() over (
        partition by resolved.resolved_region_code, resolved.year, resolved.indicator
        order by
            vintages.latest_precedence, resolved.published_on desc nulls last,
            resolved.raw_root_rank, resolved.source_file, resolved.source_row
    ) as latest_rank,
    agreement.source_count,
    agreement.vintage_count,
    agreement.source_value_spread,
    agreement.source_value_spread_ratio
from resolved
inner join vintages on resolved.vintage = vintages.vintage
inner join agreement
    on resolved.resolved_region_code = agreement.resolved_region_code
    and resolved.year = agreement.year
    and resolved.indicator = agreement.indicator
