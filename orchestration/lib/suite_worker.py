"""The GX suites, run in a worker process that has Great Expectations imported before a check needs it.

Importing GX takes seconds (2-3 s here: GX's own classes, then SciPy, Altair, SQLAlchemy, pyspark), and a
check can only start after its source is ingested. ``warm_up()``, called when an ingest asset starts,
starts the worker (``workers.Worker``), which imports GX on the other core while the asset parses and
writes; the check then hands it the frame and the suite's name (``suites.Suite``) and gets each rule's
outcome back. When the worker is gone, the suite runs in this process, exactly as the worker would have
run it.
"""

from __future__ import annotations

import logging

import pandas as pd

from orchestration.lib.expectations import RuleOutcome, run_rules
from orchestration.lib.suites import Suite
from orchestration.lib.workers import Worker, WorkerError, WorkerGone

log = logging.getLogger(__name__)
# (rule name, success, failing row positions, detail): what the worker sends back for each rule
Outcome = tuple[str, bool, list[int], str]
WORKER = Worker(f"{__name__}:run_suite_request", warm="orchestration.lib.expectations:import_gx")


def validate(frame: pd.DataFrame, suite: Suite) -> list[RuleOutcome]:
    """``run_rules`` for the suite's rules, run in the worker (started now if it is not running)."""
    try:
        found = WORKER.call((frame, suite))
    except WorkerGone as gone:
        log.warning("the suite worker is gone (%s); running the suite here", gone)
        found = run_suite_request((frame, suite))
    except WorkerError as error:
        raise RuntimeError(f"the {suite.name} suite failed in the suite worker:\n{error}") from None
    rules = {rule.name: rule for rule in suite.rules()}
    return [RuleOutcome(rules[name], success, rows, detail) for name, success, rows, detail in found]


def run_suite_request(request: tuple[pd.DataFrame, Suite]) -> list[Outcome]:
    frame, suite = request
    return [
        (outcome.rule.name, outcome.success, outcome.rows, outcome.detail)
        for outcome in run_rules(frame, suite.name, suite.rules())
    ]


def warm_up() -> None:
    """Start the worker now, so GX is imported by the time a check runs."""
    WORKER.start()
