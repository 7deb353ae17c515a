"""What the steps after ingest need, started when ingest starts: each takes seconds of imports, which
another core does while this one parses and writes."""

from orchestration.lib import suite_worker, warm_dbt


def warm_up() -> None:
    """Start the GX suite worker (for the checks) and a dbt server (for the transform step)."""
    suite_worker.warm_up()
    warm_dbt.warm_up()
