{{ rule_failures_of('documents', 'document_rule_failures') }}
