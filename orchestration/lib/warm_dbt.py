"""dbt with its imports done before the transform step runs it.

A dbt process spends its first 2-3 s here importing dbt-core, the adapter and their serializers before
it reads its arguments, and dagster-dbt starts one per transform step. ``warm_up()``, called when an
ingest asset starts, starts a server process that does those imports on the other core while ingest
runs, then waits on a Unix socket. The dbt resource's executable is ``warehouse-dbt`` (``launch``): it
hands its arguments, working folder, environment and standard streams to the waiting server, which runs
dbt with them exactly as ``dbt ARGS`` would, and exits with dbt's exit code. A SIGINT or SIGTERM it
gets (dagster-dbt interrupts dbt on a cancelled run) goes on to the server, at once or as soon as dbt
starts. With no server waiting, ``warehouse-dbt`` is plain dbt.

A server runs one dbt invocation. It ends when the process that started it ends (it watches a pipe from
it), so an unused server never outlives its run.

This module imports only the standard library at the top: ``warehouse-dbt`` starts with it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading

SERVER_VAR = "WAREHOUSE_DBT_SERVER"  # the socket of the waiting server, in the dbt step's environment
_INT = struct.Struct("!i")
_server: tuple[subprocess.Popen, str] | None = None


def warm_up() -> None:
    """Start a dbt server unless one is starting or waiting already."""
    global _server
    if _server is not None and _server[0].poll() is None:
        return
    folder = tempfile.mkdtemp(prefix="warehouse-dbt-")
    path = os.path.join(folder, "socket")
    try:
        # listening before the server has started: a caller that comes early waits in the backlog
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(path)  # fails when TMPDIR makes the path longer than a socket's (108 bytes)
            listener.listen(1)
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, path, str(listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=[listener.fileno()],
            )
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _server = (process, path)


def server_environment() -> dict[str, str]:
    """What points ``warehouse-dbt`` at the server, while one is starting or waiting (a server that is
    still importing takes the connection and answers when it is ready)."""
    if _server is not None and _server[0].poll() is None:
        return {SERVER_VAR: _server[1]}
    return {}


def dbt_path() -> str:
    """The dbt of this environment, beside this interpreter."""
    return os.path.join(os.path.dirname(sys.executable), "dbt")


# ---------------------------------------------------------------------------------------------
# warehouse-dbt


def launch() -> None:
    """``warehouse-dbt ARGS``: run ``dbt ARGS`` in the waiting server, or here when there is none."""
    path = os.environ.pop(SERVER_VAR, None)
    server = None
    if path:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.connect(path)
        except OSError:
            server.close()
            server = None
    if server is None:
        os.execv(dbt_path(), [dbt_path(), *sys.argv[1:]])
    # an interrupt goes on to dbt; one that comes while the server still imports waits for dbt to start
    server_pid: list[int] = []
    held: list[int] = []

    def forward(number: int, frame) -> None:  # noqa: ARG001 - a signal handler's signature
        if server_pid:
            os.kill(server_pid[0], number)
        else:
            held.append(number)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, forward)
    request = json.dumps({"argv": [dbt_path(), *sys.argv[1:]], "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    socket.send_fds(server, [_INT.pack(len(request))], [0, 1, 2])
    server.sendall(request)
    pid = _receive_int(server)
    if pid is not None:
        server_pid.append(pid)
        for number in held:
            os.kill(pid, number)
    code = _receive_int(server) if pid is not None else None
    if code is None:
        print("warehouse-dbt: the dbt server ended without an exit code", file=sys.stderr)
        sys.exit(2)
    sys.exit(code)


def _receive(connection: socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None when the other side closes first."""
    data = b""
    while len(data) < size:
        part = connection.recv(size - len(data))
        if not part:
            return None
        data += part
    return data


def _receive_int(connection: socket.socket) -> int | None:
    data = _receive(connection, _INT.size)
    return None if data is None else _INT.unpack(data)[0]


# ---------------------------------------------------------------------------------------------
# the server


def serve(path: str, listener: socket.socket) -> None:
    _exit_with_parent(os.dup(0), path)

    # what takes the seconds: dbt-core, click, mashumaro's serializers, and the adapter dbt loads first
    import dbt.adapters.duckdb  # noqa: F401
    from dbt.cli.main import cli

    connection, _ = listener.accept()
    listener.close()
    os.unlink(path)
    os.rmdir(os.path.dirname(path))
    header, fds, _, _ = socket.recv_fds(connection, _INT.size, 3)
    size = _INT.unpack(header)[0]
    payload = _receive(connection, size)
    if payload is None:
        return  # the caller went away before it said what to run
    request = json.loads(payload)
    connection.sendall(_INT.pack(os.getpid()))
    for fd, stream in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, stream)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    try:
        cli.main(args=sys.argv[1:], prog_name="dbt")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(_INT.pack(code))


def _exit_with_parent(fd: int, path: str) -> None:
    """End this process, and remove its socket, when the pipe from the process that started it closes."""

    def watch() -> None:
        while os.read(fd, 1024):
            pass
        for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
            try:
                remove(target)
            except OSError:
                pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    serve(sys.argv[1], socket.socket(fileno=int(sys.argv[2])))
