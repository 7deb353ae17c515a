{#- How a claim's qualifier reads: at_least (超过, 逾, 以上, 多), approximate (约, 左右), estimate (预计)
    or exact. -#}
{% macro claim_kind(qualifier) -%}
    case
        when {{ regexp_like(qualifier, "'(超过|超|逾|以上|多)'") }} then 'at_least'
        when {{ regexp_like(qualifier, "'(约|左右)'") }} then 'approximate'
        when {{ qualifier }} like '%预计%' then 'estimate'
        else 'exact'
    end
{%- endmacro %}

{#- agrees / differs / no_statistic for a claimed and an official value. Levels: exact within 0.1%,
    approximate within 2%, estimate within 1%; rates and shares (`in_points`): 0.05, 0.3 and 0.2
    percentage points; an at_least claim agrees when the official value is at least the claimed one. -#}
{% macro claim_status(kind, in_points, claimed, official) -%}
    case
        when {{ official }} is null then 'no_statistic'
        when {{ kind }} = 'at_least' then case when {{ official }} >= {{ claimed }} then 'agrees' else 'differs' end
        when {{ in_points }} then
            case
                when abs({{ claimed }} - {{ official }})
                    <= case {{ kind }} when 'approximate' then 0.3 when 'estimate' then 0.2 else 0.05 end
                    then 'agrees'
                else 'differs'
            end
        when abs({{ claimed }} - {{ official }}) / abs({{ official }})
            <= case {{ kind }} when 'approximate' then 0.02 when 'estimate' then 0.01 else 0.001 end
            then 'agrees'
        else 'differs'
    end
{%- endmacro %}
