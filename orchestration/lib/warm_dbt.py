"""dbt with its imports done before the transform step runs it.

A dbt process spends its first 2-3 s here importing dbt-core, the adapter and their serializers before
it reads its arguments, and dagster-dbt starts one per transform step. ``warm_up()``, called when an
ingest asset starts, makes sure a dbt server (``warm_servers.Server``) is there: one that has done those
imports, started now on the other core while ingest runs, or still waiting from an earlier refresh. The
dbt resource's executable is ``warehouse-dbt`` (``launch``): it hands its arguments, working folder,
environment and standard streams to the server, whose forked child runs dbt with them exactly as
``dbt ARGS`` would, and exits with dbt's exit code. A SIGINT or SIGTERM it gets (dagster-dbt interrupts
dbt on a cancelled run) goes on to that child, at once or as soon as dbt starts; a ``warehouse-dbt``
that is killed stops its dbt too. With no server there, ``warehouse-dbt`` is plain dbt.

This module imports only the standard library (and the project's config) at the top: ``warehouse-dbt``
starts with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading

from orchestration.config import DBT_PROJECT_DIR
from orchestration.lib.warm_servers import Server, serve

SERVER_VAR = "WAREHOUSE_DBT_SERVER"  # the server's socket, in the dbt step's environment
SERVER = Server("dbt", __name__)
# in the server's environment: the dbt target and environment of the run that started it
WARM_VAR = "WAREHOUSE_DBT_WARM"
_INT = struct.Struct("!i")


def warm_up(idle_seconds: float, target: str | None = None, env: dict[str, str] | None = None) -> None:
    """Start a dbt server unless one is there, to wait ``idle_seconds`` for each next dbt run. Given the
    dbt target and environment a run gives dbt, the server runs ``dbt ls`` with them once it is quiet
    (``warm_invocation``)."""
    SERVER.ensure(idle_seconds, {WARM_VAR: json.dumps({"target": target, "env": env or {}})} if target else None)


def partial_parse_name(target: str, env: dict[str, str]) -> str:
    """The file that keeps dbt's partial parse for a target and environment (``transform.partial_parse_cache``)."""
    key = json.dumps([target, sorted(env.items())])
    return f"partial_parse-{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"


def server_environment() -> dict[str, str]:
    """What points ``warehouse-dbt`` at the server, when there is one."""
    try:
        path = SERVER.path
    except OSError:  # no socket folder to be had: no server
        return {}
    return {SERVER_VAR: path} if os.path.exists(path) else {}


def dbt_path() -> str:
    """The dbt of this environment, beside this interpreter."""
    return os.path.join(os.path.dirname(sys.executable), "dbt")


# ---------------------------------------------------------------------------------------------
# warehouse-dbt


def launch() -> None:
    """``warehouse-dbt ARGS``: run ``dbt ARGS`` in the server, or here when there is none."""
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
    try:
        socket.send_fds(server, [_INT.pack(len(request))], [0, 1, 2])
        server.sendall(request)
    except OSError:  # a server that ended after it accepted
        pass
    pid = _receive_int(server)
    if pid is None:  # the server ended (idle) before it took the request: nothing ran
        if held:
            sys.exit(130)
        os.execv(dbt_path(), [dbt_path(), *sys.argv[1:]])
    server_pid.append(pid)
    for number in held:
        os.kill(pid, number)
    code = _receive_int(server)
    if code is None:
        print("warehouse-dbt: the dbt server ended without an exit code", file=sys.stderr)
        sys.exit(2)
    sys.exit(code)


def _receive(connection: socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None when the other side closes (or resets) first."""
    data = b""
    while len(data) < size:
        try:
            part = connection.recv(size - len(data))
        except ConnectionResetError:
            part = b""
        if not part:
            return None
        data += part
    return data


def _receive_int(connection: socket.socket) -> int | None:
    data = _receive(connection, _INT.size)
    return None if data is None else _INT.unpack(data)[0]


# ---------------------------------------------------------------------------------------------
# the server


def run_request(connection: socket.socket) -> None:
    """In a child of the server: one ``warehouse-dbt`` call, as dbt would run it in that process."""
    from dbt.cli.main import cli  # imported by the server already

    header, fds, _, _ = socket.recv_fds(connection, _INT.size, 3)
    payload = _receive(connection, _INT.unpack(header)[0]) if len(header) == _INT.size else None
    if payload is None:
        return  # a probe (Server.ensure), or a caller that went away before it said what to run
    request = json.loads(payload)
    connection.sendall(_INT.pack(os.getpid()))
    for fd, stream in zip(fds, (0, 1, 2), strict=True):
        os.dup2(fd, stream)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    done = threading.Event()
    threading.Thread(target=_stop_with_caller, args=(connection, done), daemon=True).start()
    try:
        cli.main(args=sys.argv[1:], prog_name="dbt")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    done.set()
    connection.sendall(_INT.pack(code))


def _stop_with_caller(connection: socket.socket, done: threading.Event) -> None:
    """End dbt when its ``warehouse-dbt`` is gone (killed with its run) before dbt has finished."""
    try:
        connection.recv(1)
    except OSError:
        pass
    if not done.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


def warm_invocation() -> bool:
    """In the server itself, once it is quiet: ``dbt ls`` as the run that started it gives dbt its target,
    environment and partial parse. What dbt builds on first use (JSON schemas of its configuration, the
    code of its serializers and more) is then built once, for every child after it, instead of in each:
    about 1 s of every transform step at 100,000 documents. ``ls`` reads the project, never the
    database. True when dbt listed the models; a warm-up that fails leaves that work to each child."""
    spec = json.loads(os.environ.get(WARM_VAR) or "null")
    if not spec:
        return False
    from dbt.cli.main import cli

    scratch = tempfile.mkdtemp(prefix="dbt-warm-")
    try:
        cache = DBT_PROJECT_DIR / "target" / partial_parse_name(spec["target"], spec["env"])
        if cache.is_file():
            shutil.copyfile(cache, os.path.join(scratch, "partial_parse.msgpack"))
        os.environ.update(spec["env"])
        project = str(DBT_PROJECT_DIR)
        listed = cli.main(
            args=["ls", "--quiet", "--resource-type", "model", "--target", spec["target"], "--project-dir", project]
            + ["--profiles-dir", project, "--target-path", scratch, "--log-path", scratch],
            prog_name="dbt",
            standalone_mode=False,
        )
        return bool(listed and listed[1])  # (models, success)
    except BaseException:  # noqa: BLE001 - nothing waits for a warm-up; each child does the work instead
        return False
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    # what takes the seconds: dbt-core, click, mashumaro's serializers, and the adapter dbt loads first
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.cli.main  # noqa: F401

    serve(run_request, warm=warm_invocation)
