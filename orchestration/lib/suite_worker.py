"""A process that has Great Expectations imported before a check needs it.

Importing GX takes seconds (2-3 s here: GX's own classes, then SciPy, Altair, SQLAlchemy, pyspark), and a
check can only start after its source is ingested. ``warm_up()``, called when an ingest asset starts,
starts this worker, which imports GX on another core while the asset parses and writes; the check then
hands it the frame and the suite's name (``suites.Suite``) and gets each rule's outcome back.

The worker is an ordinary child process (``python -m orchestration.lib.suite_worker``) that reads
pickled requests on its stdin and answers on its stdout, one at a time, and exits when its stdin closes,
so it ends with the process that started it. When it is gone or fails, the suite runs in this process,
exactly as the worker would have run it.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import subprocess
import sys
import threading

import pandas as pd

from orchestration.lib.expectations import import_gx, run_rules
from orchestration.lib.suites import Suite

log = logging.getLogger(__name__)
# (rule name, success, failing row positions, detail): what a worker sends back for each rule
Outcome = tuple[str, bool, list[int], str]


def run_suite(frame: pd.DataFrame, suite: Suite) -> list[Outcome]:
    return [
        (outcome.rule.name, outcome.success, outcome.rows, outcome.detail)
        for outcome in run_rules(frame, suite.name, suite.rules())
    ]


class SuiteWorker:
    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
                )

    def run(self, frame: pd.DataFrame, suite: Suite) -> list[Outcome]:
        """The suite's outcomes on the frame, from the worker (started now if it is not running)."""
        self.start()
        with self._lock:
            process = self._process
            try:
                pickle.dump((frame, suite), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                process.stdin.flush()
                ok, answer = pickle.load(process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                process.kill()
                process.wait()
                self._process = None
                log.warning("the suite worker is gone (%s, exit %s); running the suite here", exc, process.returncode)
                return run_suite(frame, suite)
        if not ok:
            raise RuntimeError(f"the {suite.name} suite failed in the suite worker:\n{answer}")
        return answer

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.stdin.close()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
                self._process = None


WORKER = SuiteWorker()
atexit.register(WORKER.stop)


def warm_up() -> None:
    """Start the worker now, so GX is imported by the time a check runs."""
    WORKER.start()


def serve() -> None:
    """Answer requests from stdin until it closes. The answers go to the stdout this process started with;
    anything else printed (GX and pyspark warnings) goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    import_gx()  # the point of this process

    requests = sys.stdin.buffer
    while True:
        try:
            frame, suite = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (True, run_suite(frame, suite))
        except Exception:  # noqa: BLE001 - the caller raises it, with this traceback
            import traceback

            answer = (False, traceback.format_exc())
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    serve()
