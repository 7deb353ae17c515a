"""What the steps after ingest need, started when ingest starts: each takes seconds of imports, which
another core does while this one parses and writes."""

import logging

from orchestration.lib import suite_worker, warm_dbt

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Start the GX suite worker (for the checks) and a dbt server (for the transform step). One that
    cannot start (no process or socket to be had) is no failure: its step starts GX or dbt itself."""
    for start in (suite_worker.warm_up, warm_dbt.warm_up):
        try:
            start()
        except OSError as exc:
            log.warning("could not start %s ahead (%s); its step will start cold", start.__module__, exc)
