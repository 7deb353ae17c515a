"""Serving: publishing the marts atomically, the report, read-only queries and failure alerts."""
