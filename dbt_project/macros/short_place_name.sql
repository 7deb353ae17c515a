{% macro short_place_name(column) -%}
    regexp_replace(
        regexp_replace({{ column }}, '(壮族|回族|维吾尔)?自治区$', ''),
        '(市|地区|盟|林区|省)$', ''
    )
{%- endmacro %}
