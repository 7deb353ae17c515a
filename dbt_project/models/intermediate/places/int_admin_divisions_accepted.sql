-- One row per administrative division that passed the reference ingest's blocking data-quality rules
-- (the rest are in mart_quarantine).
with divisions as (
    select * from {{ ref('stg_reference__admin_divisions') }}
),

blocked as (
    select source_file, source_row from {{ ref('stg_reference__rule_failures') }}
    where severity = 'block'
)

select {{ star_except('divisions', ['source_row']) }}
from divisions
where not exists (
    select 1 from blocked
    where blocked.source_file = divisions.source_file and blocked.source_row = divisions.source_row
)
