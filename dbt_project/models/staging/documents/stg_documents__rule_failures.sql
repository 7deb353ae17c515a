{{ rule_failures_of('document_rule_failures') }}
