{#- A FROM-clause suffix giving one row per `delimiter`-separated part of `column`, as `alias`.`part`.
    It must end the FROM clause (Spark puts LATERAL VIEW after every join). -#}
{% macro split_to_rows(column, delimiter, alias, part) %}
    {{- return(adapter.dispatch('split_to_rows')(column, delimiter, alias, part)) -}}
{% endmacro %}

{% macro default__split_to_rows(column, delimiter, alias, part) -%}
    cross join unnest(string_split({{ column }}, {{ delimiter }})) as {{ alias }} ({{ part }})
{%- endmacro %}

{% macro spark__split_to_rows(column, delimiter, alias, part) -%}
    lateral view explode(split({{ column }}, {{ delimiter }})) {{ alias }} as {{ part }}
{%- endmacro %}
