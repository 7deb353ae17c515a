-- One row per statistics file a refresh read: where each figure of fct_city_year and fct_province_year
-- comes from (their source_file), with the publications and vintages its figures name, the years and
-- indicators it covers, the notes and source lines printed with its table, and what the reader made of it.
with files as (
    select * from {{ ref('stg_statistics__files') }}
),

figures as (
    select
        source_file,
        count(*) as figures_accepted,
        min(year) as first_year,
        max(year) as last_year,
        {{ string_agg_sorted('indicator', "', '", distinct=true) }} as indicators,
        {{ string_agg_sorted('publication', "' | '", distinct=true) }} as publications,
        {{ string_agg_sorted('vintage', "', '", distinct=true) }} as vintages
    from {{ ref('int_statistics_observations_accepted') }}
    group by source_file
)

select
    files.source_file,
    files.file_sha256,
    files.size_bytes,
    files.raw_root_rank,
    files.encoding,
    files.layout,
    figures.publications,
    figures.vintages,
    figures.indicators,
    figures.first_year,
    figures.last_year,
    files.observations as figures_read,
    coalesce(figures.figures_accepted, 0) as figures_accepted,
    files.quarantined_cells,
    files.empty_cells,
    files.ignored_columns,
    files.notes,
    files.error,
    files.loaded_at
from files
left join figures on files.source_file = figures.source_file
