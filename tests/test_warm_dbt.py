"""warehouse-dbt: dbt run by a warm server (a forked child of one that imported dbt beforehand), as plain
dbt would run it, and plain dbt when there is no server."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR, load_settings
from orchestration.lib import warm, warm_dbt, warm_servers

LAUNCHER = str(Path(sys.executable).parent / "warehouse-dbt")


def dbt(*args: str, env: dict | None = None, cwd: Path = DBT_PROJECT_DIR) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", warm_dbt.SERVER_VAR)}
    return subprocess.run(
        [LAUNCHER, *args], env={**environment, **(env or {})}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def started_server(idle_seconds: float = 60) -> tuple[subprocess.Popen, dict[str, str]]:
    warm_dbt.warm_up(idle_seconds)
    return warm_servers._started[-1], warm_dbt.server_environment()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_without_a_server_it_is_plain_dbt(tmp_path):
    assert dbt("debug", "--config-dir", env={"DBT_PROFILES_DIR": str(tmp_path)}).returncode == 0
    wrong = dbt("no-such-command")
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr
    gone = dbt("--help", env={warm_dbt.SERVER_VAR: str(tmp_path / "no-socket")})
    assert gone.returncode == 0 and "Usage: dbt" in gone.stdout


def test_a_server_that_ends_before_it_takes_the_request_leaves_it_to_plain_dbt(tmp_path):
    """A server ending at the end of its idle time may have accepted a caller it never serves: the caller
    runs plain dbt, as with no server."""
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(1)

        def take_and_go() -> None:
            connection, _ = listener.accept()
            connection.close()

        ending = threading.Thread(target=take_and_go)
        ending.start()
        done = dbt("--help", env={warm_dbt.SERVER_VAR: path})
        ending.join()
    assert done.returncode == 0 and "Usage: dbt" in done.stdout


def test_one_server_runs_each_dbt_with_its_callers_arguments_folder_environment_and_streams(tmp_path, own_warm_servers):
    server, env = started_server()
    done = dbt("debug", "--config-dir", env={**env, "DBT_PROFILES_DIR": str(tmp_path)})
    assert done.returncode == 0
    assert str(tmp_path) in done.stdout  # the caller's environment
    assert server.poll() is None  # it waits for the next one
    warm_dbt.warm_up(60)
    assert len(warm_servers._started) and warm_servers._started[-1] is server  # no second server
    done = dbt("debug", "--config-dir", env=env, cwd=DBT_PROJECT_DIR)
    assert done.returncode == 0 and str(DBT_PROJECT_DIR) in done.stdout  # the caller's folder: its profiles.yml
    wrong = dbt("no-such-command", env=env)
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr  # dbt's exit code
    assert server.poll() is None


def test_a_server_ends_when_idle_and_one_for_other_code_is_not_used(own_warm_servers, monkeypatch):
    server, env = started_server(idle_seconds=2)
    assert dbt("--version", env=env).returncode == 0  # a request starts the idle time again
    assert server.wait(timeout=60) == 0
    assert not Path(env[warm_dbt.SERVER_VAR]).exists() and warm_dbt.server_environment() == {}

    server, env = started_server()
    monkeypatch.setattr(warm_servers, "fingerprint", lambda: "changed-code")
    assert warm_dbt.server_environment() == {}  # the code changed: the server of the old code is not asked
    newer, newer_env = started_server()
    assert newer is not server and newer_env != env and newer.poll() is None and server.poll() is None


def test_a_socket_left_by_a_killed_server_is_replaced(own_warm_servers):
    server, env = started_server()
    server.kill()
    server.wait()
    assert Path(env[warm_dbt.SERVER_VAR]).exists()  # nobody removed it
    replacement, env = started_server()
    assert replacement is not server
    assert dbt("--version", env=env).returncode == 0


def test_dbt_in_the_server_leaves_nothing_behind(tmp_path, own_warm_servers):
    """The server's child ends as a dbt process would: its multiprocessing locks are released, not left
    to the tracker that would report them leaked on the run's output."""
    server, env = started_server()
    done = dbt(
        "parse", "--target-path", str(tmp_path / "target"), env={**env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    )
    assert done.returncode == 0 and (tmp_path / "target" / "manifest.json").exists(), done.stdout + done.stderr
    assert "leaked" not in done.stdout + done.stderr
    assert server.poll() is None


def test_an_interrupt_of_warehouse_dbt_reaches_dbt_in_the_server(tmp_path, own_warm_servers):
    """dagster-dbt stops dbt on a cancelled run with SIGINT to the process it started: the server's child
    running dbt gets it too and stops, warehouse-dbt exits with an error, and the server goes on."""
    server, env = started_server()  # still importing when the interrupt comes: it waits for dbt to start
    launcher = parse_in_server(tmp_path, env)
    time.sleep(1.5)
    assert launcher.poll() is None, "dbt parse ended before it could be interrupted"
    launcher.send_signal(signal.SIGINT)
    output = launcher.communicate(timeout=60)[0].decode()
    assert launcher.returncode != 0, output
    assert wait_for(lambda: not children(server.pid))  # dbt stopped
    assert not (tmp_path / "target" / "manifest.json").exists()  # the parse did not finish
    assert server.poll() is None


def test_a_killed_warehouse_dbt_stops_its_dbt(tmp_path, own_warm_servers):
    """A refresh killed outright (its process group, SIGKILL) cannot pass anything on: dbt in the server
    notices that its caller is gone and stops, instead of writing on in the build database."""
    server, env = started_server()
    assert dbt("--version", env=env).returncode == 0  # the server has done its imports
    launcher = parse_in_server(tmp_path, env)
    assert wait_for(lambda: children(server.pid), seconds=10)
    launcher.kill()
    launcher.wait()
    assert wait_for(lambda: not children(server.pid))
    assert not (tmp_path / "target" / "manifest.json").exists()
    assert server.poll() is None


def parse_in_server(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != warm_dbt.SERVER_VAR}
    return subprocess.Popen(
        [LAUNCHER, "parse", "--no-partial-parse", "--target-path", str(tmp_path / "target")],
        env={**environment, **env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        cwd=DBT_PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_no_socket_to_be_had_means_dbt_starts_cold(tmp_path, monkeypatch):
    """A socket path is at most 108 bytes: under a long TMPDIR no server starts, ingest goes on, and the
    transform step runs plain dbt."""
    deep = tmp_path / ("d" * 100) / ("e" * 100)
    deep.mkdir(parents=True)
    monkeypatch.setattr(warm_servers.tempfile, "tempdir", str(deep))
    started = len(warm_servers._started)
    warm.warm_up()
    assert warm_dbt.server_environment() == {}
    assert len(warm_servers._started) == started
    assert [p.name for p in deep.rglob("*")] == [warm_servers.runtime_dir().rsplit("/", 1)[1]]  # no socket


def test_no_warm_servers_with_warm_seconds_zero(own_warm_servers, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_WARM_SECONDS", "0")
    warm.warm_up()
    assert os.listdir(own_warm_servers) == []


def test_the_servers_warm_up_lists_the_models_as_the_run_would_and_never_opens_the_database(tmp_path):
    """Once quiet, the dbt server runs `dbt ls` itself with the target and environment of the run that
    started it, so its children start from what dbt builds on first use. The build database is only
    named, never opened (a refresh may be writing it); a target dbt does not know makes it fail quietly."""
    settings = load_settings({"WAREHOUSE_DIR": str(tmp_path / "wh")})
    script = textwrap.dedent(
        """
        import json, os, sys
        from orchestration.lib import warm_dbt
        os.environ[warm_dbt.WARM_VAR] = sys.argv[1]
        print("warmed:", warm_dbt.warm_invocation())
        """
    )
    for target, warmed in ((settings.dbt_target, True), ("no-such-target", False)):
        spec = json.dumps({"target": target, "env": settings.dbt_env()})
        done = subprocess.run([sys.executable, "-", spec], input=script, capture_output=True, text=True, timeout=120)
        assert f"warmed: {warmed}" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert not (tmp_path / "wh").exists()
