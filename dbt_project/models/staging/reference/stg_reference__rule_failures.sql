{{ rule_failures_of('reference_rule_failures') }}
