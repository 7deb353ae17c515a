"""The GX suites, run by a server that has Great Expectations imported before a check needs it.

Importing GX takes seconds (2-3 s here: GX's own classes, then SciPy, Altair, SQLAlchemy, pyspark), and a
check can only start after its source is ingested. ``warm_up()``, called when an ingest asset starts,
makes sure a suite server (``warm_servers.Server``) is there: started now to import GX on the other core
while the asset parses and writes, or still waiting from an earlier refresh. The check hands it the frame
and the suite's name (``suites.Suite``) and gets each rule's outcome back. When there is no server, or
it is gone before it answers, the suite runs in this process, exactly as the server would have run it.
"""

from __future__ import annotations

import logging
import pickle
import socket
import traceback

import pandas as pd

from orchestration.lib.expectations import RuleOutcome, run_rules
from orchestration.lib.suites import Suite
from orchestration.lib.warm_servers import Server, serve

log = logging.getLogger(__name__)
# (rule name, success, failing row positions, detail): what the server sends back for each rule
Outcome = tuple[str, bool, list[int], str]
SERVER = Server("suites", __name__)


class SuiteServerError(RuntimeError):
    """The suite raised in the server; the message holds the server's traceback."""


def validate(frame: pd.DataFrame, suite: Suite) -> list[RuleOutcome]:
    """``run_rules`` for the suite's rules, run by the suite server when there is one."""
    try:
        found = _ask(frame, suite)
    except SuiteServerError as error:
        raise RuntimeError(f"the {suite.name} suite failed in the suite server:\n{error}") from None
    if found is None:
        found = run_suite_request((frame, suite))
    rules = {rule.name: rule for rule in suite.rules()}
    return [RuleOutcome(rules[name], success, rows, detail) for name, success, rows, detail in found]


def _ask(frame: pd.DataFrame, suite: Suite) -> list[Outcome] | None:
    """The server's outcomes, or None (said in the log) when there is no server or it did not answer."""
    connection = SERVER.connect()
    if connection is None:
        log.warning("no suite server is there; running the %s suite here", suite.name)
        return None
    with connection, connection.makefile("rwb") as stream:
        try:
            pickle.dump((frame, suite), stream, protocol=pickle.HIGHEST_PROTOCOL)
            stream.flush()
            ok, answer = pickle.load(stream)
        except (OSError, EOFError, pickle.UnpicklingError) as gone:
            log.warning("the suite server did not answer (%r); running the %s suite here", gone, suite.name)
            return None
    if not ok:
        raise SuiteServerError(answer)
    return answer


def run_suite_request(request: tuple[pd.DataFrame, Suite]) -> list[Outcome]:
    frame, suite = request
    return [
        (outcome.rule.name, outcome.success, outcome.rows, outcome.detail)
        for outcome in run_rules(frame, suite.name, suite.rules())
    ]


def answer_request(connection: socket.socket) -> None:
    """In a child of the server: one check's request."""
    with connection.makefile("rwb") as stream:
        try:
            request = pickle.load(stream)
        except EOFError:
            return  # a probe (Server.ensure)
        try:
            answer = (True, run_suite_request(request))
        except Exception:  # noqa: BLE001 - the check raises it, with this traceback
            answer = (False, traceback.format_exc())
        pickle.dump(answer, stream, protocol=pickle.HIGHEST_PROTOCOL)


def warm_up(idle_seconds: float) -> None:
    """Start a suite server unless one is there, to wait ``idle_seconds`` for each next check."""
    SERVER.ensure(idle_seconds)


if __name__ == "__main__":
    from orchestration.lib.expectations import import_gx

    import_gx()
    serve(answer_request)
