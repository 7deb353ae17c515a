{{ rule_failures_of('reference', 'reference_rule_failures') }}
