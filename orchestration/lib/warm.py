"""What the steps after ingest need, made ready when ingest starts: each takes seconds of imports, which
another core does while this one parses and writes, or which a server kept from an earlier refresh has
done already (``warm_servers``)."""

import logging

from orchestration.config import warm_seconds
from orchestration.lib import suite_server, warm_dbt

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Make sure a GX suite server (for the checks) and a dbt server (for the transform step) are there,
    each to wait WAREHOUSE_WARM_SECONDS for the next refresh when this one is done (none with 0). One
    that cannot start (no process or socket to be had) is no failure: its step starts GX or dbt itself."""
    idle = warm_seconds()
    if not idle:
        return
    for start in (suite_server.warm_up, warm_dbt.warm_up):
        try:
            start(idle)
        except OSError as exc:
            log.warning("could not start %s ahead (%s); its step will start cold", start.__module__, exc)
