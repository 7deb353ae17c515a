{{ rule_failures_of('statistics_rule_failures') }}
