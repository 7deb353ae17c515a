{#- The non-null values of `column` in sorted order (distinct ones when `distinct`), joined by
    `delimiter`; null when there are none. -#}
{% macro string_agg_sorted(column, delimiter, distinct=false) %}
    {{- return(adapter.dispatch('string_agg_sorted')(column, delimiter, distinct)) -}}
{% endmacro %}

{% macro default__string_agg_sorted(column, delimiter, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ column }}, {{ delimiter }} order by {{ column }})
{%- endmacro %}

{% macro spark__string_agg_sorted(column, delimiter, distinct) -%}
    case when count({{ column }}) > 0 then
        array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ column }})), {{ delimiter }})
    end
{%- endmacro %}
