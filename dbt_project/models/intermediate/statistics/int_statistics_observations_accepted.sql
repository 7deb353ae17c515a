-- One row per figure that passed the statistics ingest's blocking data-quality rules (the rest are in
-- mart_quarantine), with its vintage: the one its table states, else its indicator's default (a census
-- count's is census), else unstated.
with observations as (
    select * from {{ ref('stg_statistics__observations') }}
),

blocked as (
    select source_file, source_row, record_key from {{ ref('stg_statistics__rule_failures') }}
    where severity = 'block'
),

indicators as (
    select indicator, default_vintage from {{ ref('indicators') }}
),

accepted as (
    select
        {{ star_except('observations', ['vintage']) }},
        coalesce(observations.vintage, indicators.default_vintage, 'unstated') as vintage
    from observations
    left join indicators on observations.indicator = indicators.indicator
    where not exists (
        select 1 from blocked
        where blocked.source_file = observations.source_file
            and blocked.source_row = observations.source_row
            and blocked.record_key = observations.indicator || '|' || cast(observations.year as {{ dbt.type_string() }})
    )
)

select * from accepted
