"""warehouse-dbt: dbt run by a server that imported dbt beforehand, as plain dbt would run it, and plain
dbt when no server waits."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from orchestration.config import DBT_PROJECT_DIR
from orchestration.lib import warm_dbt

LAUNCHER = str(Path(sys.executable).parent / "warehouse-dbt")


def dbt(*args: str, env: dict | None = None, cwd: Path = DBT_PROJECT_DIR) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DBT_PROFILES_DIR", warm_dbt.SERVER_VAR)}
    return subprocess.run(
        [LAUNCHER, *args], env={**environment, **(env or {})}, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def started_server() -> tuple[subprocess.Popen, dict[str, str]]:
    warm_dbt.warm_up()
    process = warm_dbt._server[0]
    return process, warm_dbt.server_environment()


def test_without_a_server_it_is_plain_dbt(tmp_path):
    assert dbt("debug", "--config-dir", env={"DBT_PROFILES_DIR": str(tmp_path)}).returncode == 0
    wrong = dbt("no-such-command")
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr
    gone = dbt("--help", env={warm_dbt.SERVER_VAR: str(tmp_path / "no-socket")})
    assert gone.returncode == 0 and "Usage: dbt" in gone.stdout


def test_the_server_runs_dbt_with_the_callers_arguments_folder_environment_and_streams(tmp_path):
    server, env = started_server()
    done = dbt("debug", "--config-dir", env={**env, "DBT_PROFILES_DIR": str(tmp_path)})
    assert done.returncode == 0
    assert str(tmp_path) in done.stdout  # the caller's environment
    assert server.wait(timeout=30) == 0  # one invocation per server
    assert not Path(env[warm_dbt.SERVER_VAR]).exists()

    server, env = started_server()
    done = dbt("debug", "--config-dir", env=env, cwd=DBT_PROJECT_DIR)
    assert done.returncode == 0 and str(DBT_PROJECT_DIR) in done.stdout  # the caller's folder: its profiles.yml
    server.wait(timeout=30)


def test_the_server_gives_back_dbts_exit_code():
    server, env = started_server()
    wrong = dbt("no-such-command", env=env)
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr
    server.wait(timeout=30)


def test_an_unused_server_ends_with_the_process_that_started_it():
    script = textwrap.dedent(
        """
        from orchestration.lib import warm_dbt
        warm_dbt.warm_up()
        print(warm_dbt._server[0].pid, warm_dbt._server[1])
        """
    )
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, check=True)
    pid, socket_path = done.stdout.split()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()
    assert not Path(socket_path).parent.exists()


def test_an_interrupt_of_warehouse_dbt_reaches_dbt_in_the_server(tmp_path):
    """dagster-dbt stops dbt on a cancelled run with SIGINT to the process it started: the server's dbt
    gets it too and stops, and warehouse-dbt exits with an error."""
    server, env = started_server()  # still importing when the interrupt comes: it waits for dbt to start
    environment = {k: v for k, v in os.environ.items() if k != warm_dbt.SERVER_VAR}
    launcher = subprocess.Popen(
        [LAUNCHER, "parse", "--no-partial-parse", "--target-path", str(tmp_path / "target")],
        env={**environment, **env, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        cwd=DBT_PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    time.sleep(1.5)
    assert server.poll() is None and launcher.poll() is None, "dbt parse ended before it could be interrupted"
    launcher.send_signal(signal.SIGINT)
    output = launcher.communicate(timeout=60)[0].decode()
    assert launcher.returncode != 0, output
    server.wait(timeout=30)  # dbt stopped (with an exit code, or killed by the signal) and the server ended
    assert not (tmp_path / "target" / "manifest.json").exists()  # the parse did not finish


def test_no_socket_to_be_had_means_dbt_starts_cold(tmp_path, monkeypatch):
    """A socket path is at most 108 bytes: under a long TMPDIR no server starts, ingest goes on, and the
    transform step runs plain dbt."""
    from orchestration.lib import warm

    deep = tmp_path / ("d" * 100) / ("e" * 100)
    deep.mkdir(parents=True)
    monkeypatch.setattr(warm_dbt.tempfile, "tempdir", str(deep))
    monkeypatch.setattr(warm_dbt, "_server", None)
    warm.warm_up()
    assert warm_dbt.server_environment() == {}
    assert list(deep.iterdir()) == []  # the folder made for the socket is gone again
