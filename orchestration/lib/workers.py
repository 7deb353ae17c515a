"""Child processes that work beside this one, on the other core.

A ``Worker`` is ``python -m orchestration.lib.workers HANDLER``: it answers pickled requests on its stdin
with ``HANDLER(request)`` on its stdout, one at a time, until its stdin closes, so it ends with the
process that started it (the parse helper, ``document_batches``; the warm servers of ``warm_servers``
outlive a run instead). A request that raises in the worker raises ``WorkerError`` here with the
worker's traceback; a worker that is gone raises ``WorkerGone``, and the next ``start`` or ``send``
starts a new one. One caller at a time.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import subprocess
import sys
import traceback


class WorkerGone(Exception):
    """The worker process ended (killed, crashed) before it answered."""


class WorkerError(RuntimeError):
    """The request raised in the worker; the message holds the worker's traceback."""


def _function(name: str):
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


class Worker:
    def __init__(self, handler: str):
        self.handler = handler  # "module:function", called with each request
        self._process: subprocess.Popen | None = None
        self._primed = 0
        atexit.register(self.stop)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if not self.running:
            command = [sys.executable, "-m", __name__, self.handler]
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self._primed = 0

    def send(self, request) -> None:
        """Hand the worker a request (started now if it is not running); ``receive`` gets the answer."""
        self.start()
        try:
            pickle.dump(request, self._process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._process.stdin.flush()
        except OSError as exc:
            raise self._gone(exc) from exc

    def prime(self, request) -> None:
        """Send a request whose answer nobody waits for (something to load ahead); ``receive`` skips it."""
        self.send(request)
        self._primed += 1

    def receive(self):
        """The answer to the oldest request sent and not yet answered (after those of primed requests)."""
        while self._primed:
            self._primed -= 1
            self._answer()
        return self._answer()

    def _answer(self):
        if self._process is None:
            raise WorkerGone("no worker is running")
        try:
            ok, answer = pickle.load(self._process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise self._gone(exc) from exc
        if not ok:
            raise WorkerError(answer)
        return answer

    def _gone(self, cause: Exception) -> WorkerGone:
        process, self._process, self._primed = self._process, None, 0
        process.kill()
        process.wait()
        return WorkerGone(f"{cause!r}, exit code {process.returncode}")

    def stop(self) -> None:
        """End the worker: an idle one ends at once when its stdin closes; one still busy (importing, say)
        is killed after a second, as nothing waits for its answers any more."""
        process, self._process, self._primed = self._process, None, 0
        if process is None:
            return
        process.stdin.close()
        try:
            process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(handler: str) -> None:
    """The worker's side. Answers go to the stdout it started with; anything else printed goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    handle = _function(handler)
    requests = sys.stdin.buffer
    while True:
        try:
            request = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (True, handle(request))
        except Exception:  # noqa: BLE001 - the caller raises it, with this traceback
            answer = (False, traceback.format_exc())
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    serve(*sys.argv[1:])
