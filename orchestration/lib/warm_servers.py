"""Warm servers: processes that have done a step's seconds of imports before the step runs, and stay for
the next refresh.

``Server(name, module)`` is ``python -m MODULE`` serving on a Unix socket. ``ensure(idle_seconds)``
starts one unless one is there; it binds the socket before the process starts, so a caller that comes
while the server still imports waits in the backlog. The server, once its imports are done, calls
``serve(handle)``: every connection is served by a forked child, so each request starts from the same
warm state, leaves nothing behind for the next, and two runs can be served at once. The server ends
after ``idle_seconds`` without a connection; until then every refresh (a sensor's, a schedule's, one
from the CLI) finds it ready, instead of paying the imports again on a machine busy with ingest.

A server runs the code it was started with, so its socket is named after a fingerprint of that code:
this interpreter, the installed packages, and the files of the ``orchestration`` package. After a
change, the next refresh starts a new server and the old one ends when idle.

This module imports only the standard library: ``warehouse-dbt`` starts with it.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
QUIET_SECONDS = 5.0  # a server warms itself (``serve``'s ``warm``) when no request has come for this long
_started: list[subprocess.Popen] = []  # kept, so no "still running" warning when this process ends first


@functools.cache
def fingerprint() -> str:
    """What a server's code is: this interpreter, its installed packages (their folder changes when a
    package is added, removed or replaced) and the ``orchestration`` package's files."""
    digest = hashlib.sha256(sys.executable.encode())
    for folder in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        digest.update(f"{folder}:{os.stat(folder).st_mtime_ns}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:16]


def runtime_dir() -> str:
    """This user's folder for the servers' sockets, which only the user can reach: a dbt server is handed
    the step's environment and standard streams."""
    folder = os.path.join(tempfile.gettempdir(), f"warehouse-warm-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    stat = os.stat(folder)
    if stat.st_uid != os.getuid() or stat.st_mode & 0o077:
        raise PermissionError(f"{folder} must belong to this user alone (owner {stat.st_uid}, mode {stat.st_mode:o})")
    return folder


class Server:
    def __init__(self, name: str, module: str):
        self.name = name
        self.module = module  # ``python -m MODULE PATH FD IDLE INODE`` imports, then calls ``serve``

    @property
    def path(self) -> str:
        return os.path.join(runtime_dir(), f"{self.name}-{fingerprint()}.sock")

    def connect(self) -> socket.socket | None:
        """A connection to the server (one that is still importing answers when it is ready), or None
        when there is none."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.path)  # the path raises too, for a socket folder that is not this user's
        except OSError:
            connection.close()
            return None
        return connection

    def ensure(self, idle_seconds: float, env: dict[str, str] | None = None) -> None:
        """Start a server (with ``env`` added to its environment) unless one is there; raises OSError
        when none can be started (no process to be had, or a socket path longer than the 108 bytes a
        socket's allows)."""
        path = self.path
        if os.path.exists(path):
            probe = self.connect()
            if probe is not None:
                probe.close()  # the server's child for it reads nothing and ends
                return
            try:
                os.unlink(path)  # left by a server that was killed
            except FileNotFoundError:
                pass
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            try:
                listener.bind(path)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return  # another refresh started one just now
                raise
            try:
                listener.listen(16)
                command = [sys.executable, "-m", self.module, path, str(listener.fileno())]
                command += [str(idle_seconds), str(os.stat(path).st_ino)]
                _started.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        env={**os.environ, **(env or {})},
                        pass_fds=[listener.fileno()],
                        start_new_session=True,  # not stopped with the run that started it
                    )
                )
            except OSError:
                os.unlink(path)
                raise


def serve(handle: Callable[[socket.socket], None], warm: Callable[[], None] | None = None) -> None:
    """The server's loop, called by ``python -m MODULE PATH FD IDLE INODE`` when its imports are done:
    ``handle(connection)`` in a forked child for every connection, until none has come for IDLE seconds.
    ``warm()`` runs once in the server itself, the first time no connection has come for QUIET_SECONDS
    and no child is at work (it takes a core, and a refresh waits for no warm-up), so that every child
    after it starts from what it did.
    The socket goes first, then the connections already waiting are served, so no caller is dropped."""
    path, listener = sys.argv[1], socket.socket(fileno=int(sys.argv[2]))
    idle, inode = float(sys.argv[3]), int(sys.argv[4])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped as they end
    if warm is not None:
        listener.settimeout(min(QUIET_SECONDS, idle))
        while True:
            for connection in _accepted(listener):
                _fork(handle, connection, listener)
            if not _children():
                break
        warm()
    listener.settimeout(idle)
    for connection in _accepted(listener):
        _fork(handle, connection, listener)
    try:
        if os.stat(path).st_ino == inode:  # still this server's socket, not a newer server's
            os.unlink(path)
    except OSError:
        pass
    listener.setblocking(False)
    for connection in _accepted(listener):
        _fork(handle, connection, listener)


def _children() -> list[str]:
    """This process's children that are still running."""
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as listing:
            return listing.read().split()
    except OSError:
        return []


def _accepted(listener: socket.socket) -> Iterator[socket.socket]:
    """Connections until none comes: in the idle time (a timeout), or waiting already (non-blocking)."""
    while True:
        try:
            yield listener.accept()[0]
        except OSError:  # TimeoutError, BlockingIOError
            return


def _fork(handle: Callable[[socket.socket], None], connection: socket.socket, listener: socket.socket) -> None:
    if os.fork() == 0:
        code = 1
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the handler may wait for processes of its own
            listener.close()
            connection.setblocking(True)
            handle(connection)
            code = 0
        except BaseException:  # noqa: BLE001 - said on the way out; the caller sees its connection close
            traceback.print_exc()
        # an interpreter's own exit, not os._exit: what the handler made is released as in a process of
        # its own (dbt's multiprocessing locks would otherwise be reported leaked by their tracker)
        sys.exit(code)
    connection.close()
