"""The lake: the ingested raw tables as Parquet, written once per refresh; the dbt sources and the
blocking checks read this one copy."""
