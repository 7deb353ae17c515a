{#- True when `pattern` (RE2 / Java regex, unanchored) matches somewhere in `column`. -#}
{% macro regexp_like(column, pattern) %}
    {{- return(adapter.dispatch('regexp_like')(column, pattern)) -}}
{% endmacro %}

{% macro default__regexp_like(column, pattern) -%}
    regexp_matches({{ column }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_like(column, pattern) -%}
    ({{ column }} rlike {{ pattern }})
{%- endmacro %}
