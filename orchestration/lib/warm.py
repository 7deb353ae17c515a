"""What the steps after ingest need, made ready when ingest starts: each takes seconds of imports, which
another core does while this one parses and writes, or which a server kept from an earlier refresh has
done already (``warm_servers``)."""

import logging

from orchestration.config import Settings, warm_seconds
from orchestration.lib import suite_server, warm_dbt

log = logging.getLogger(__name__)


def warm_up(settings: Settings | None = None) -> None:
    """Make sure a GX suite server (for the checks) and a dbt server (for the transform step) are there,
    each to wait WAREHOUSE_WARM_SECONDS for the next refresh when this one is done (none with 0); a dbt
    server started for a warehouse's ``settings`` warms dbt for its transform step. One that cannot
    start (no process or socket to be had) is no failure: its step starts GX or dbt itself."""
    idle = warm_seconds()
    if not idle:
        return
    dbt = (settings.dbt_target, settings.dbt_env()) if settings else ()
    for start, arguments in ((suite_server.warm_up, ()), (warm_dbt.warm_up, dbt)):
        try:
            start(idle, *arguments)
        except OSError as exc:
            log.warning("could not start %s ahead (%s); its step will start cold", start.__module__, exc)
