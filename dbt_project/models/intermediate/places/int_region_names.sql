-- One row per spelling of a region name that resolves to a code: full and short names of cities and
-- provinces, former names from the prefecture crosswalk, and the variants seed. Years bound the
-- spans in which a former name was in use (null = open).
with cities as (
    select city_code as region_code, city_name_zh as full_name, province_code from {{ ref('int_cities_unioned') }}
),

provinces as (
    select region_code, region_name_zh as full_name, region_code as province_code
    from {{ ref('regions') }}
),

current_names as (
    select region_code, full_name as variant_name, province_code, 'full_name' as variant_kind,
        cast(null as {{ dbt.type_int() }}) as valid_from_year, cast(null as {{ dbt.type_int() }}) as valid_to_year
    from cities
    union all
    select region_code, {{ short_place_name('full_name') }}, province_code, 'short_name', null, null
    from cities
    union all
    select region_code, full_name, province_code, 'full_name', null, null from provinces
    union all
    select region_code, {{ short_place_name('full_name') }}, province_code, 'short_name', null, null
    from provinces
),

crosswalk_parts as (
    select crosswalk.prefecture_code, trim(parts.part) as span
    from {{ ref('stg_reference__prefecture_crosswalk') }} as crosswalk
    {{ split_to_rows('crosswalk.name_history', "';'", 'parts', 'part') }}
    -- abolished units are not mapped onto a successor: their names stay unresolved
    where crosswalk.status = 'active'
),

crosswalk_spans as (
    select
        coalesce(aliases.region_code, crosswalk_parts.prefecture_code) as region_code,
        crosswalk_parts.span
    from crosswalk_parts
    left join {{ ref('region_code_aliases') }} as aliases
        on crosswalk_parts.prefecture_code = aliases.alias_code
),

former_names as (
    select
        spans.region_code,
        regexp_extract(spans.span, '^\d{4}-\d{4} (.+)$', 1) as variant_name,
        cities.province_code,
        'former_name' as variant_kind,
        cast(regexp_extract(spans.span, '^(\d{4})-', 1) as integer) as valid_from_year,
        cast(regexp_extract(spans.span, '^\d{4}-(\d{4})', 1) as integer) as valid_to_year
    from crosswalk_spans as spans
    inner join cities on spans.region_code = cities.region_code
    where {{ regexp_like('spans.span', "'^\\d{4}-\\d{4} .+$'") }}
),

seeded_variants as (
    select variants.city_code, variants.variant_name, cities.province_code, 'seeded_variant',
        variants.valid_from_year, variants.valid_to_year
    from {{ ref('city_name_variants') }} as variants
    inner join cities on variants.city_code = cities.region_code
),

unioned as (
    select * from current_names
    union all
    select * from former_names
    where variant_name not in (select variant_name from current_names)
    union all
    select * from seeded_variants
)

select distinct * from unioned
