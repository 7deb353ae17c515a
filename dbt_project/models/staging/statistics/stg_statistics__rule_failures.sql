{{ rule_failures_of('statistics', 'statistics_rule_failures') }}
