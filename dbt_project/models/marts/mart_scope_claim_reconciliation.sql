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
-- The comparisons are intermediate models: int_scope_claims_compared (count, aggregate, share) and
-- int_rank_claims_compared (rank).
with scope_claims as (
    select * from {{ ref('int_scope_claims_compared') }}
),

rank_claims as (
    select * from {{ ref('int_rank_claims_compared') }}
)

select * from scope_claims
union all
select * from rank_claims
