"""The warm servers across refreshes: the first refresh (or the file sensor's tick) starts the GX suite
server and the dbt server, the next refresh finds both waiting and runs its checks and dbt in them."""

import logging
import os
import subprocess
import sys

import dagster as dg
import pytest

from orchestration.config import load_settings
from orchestration.defs import transform
from orchestration.defs.resources import build_resources
from orchestration.lib import warm, warm_dbt, warm_servers
from orchestration.lib.suite_server import SERVER as SUITE_SERVER

from .conftest import REPO_RAW, run_refresh, warehouse_definitions


def test_a_second_refresh_finds_both_servers_waiting(tmp_path, own_warm_servers, monkeypatch, caplog):
    dbt_servers: list[dict] = []

    def server_environment() -> dict[str, str]:
        dbt_servers.append(found := warm_servers_environment())
        return found

    warm_servers_environment = transform.server_environment
    monkeypatch.setattr(transform, "server_environment", server_environment)
    caplog.set_level(logging.WARNING, logger="orchestration")
    started = len(warm_servers._started)

    assert run_refresh(tmp_path / "wh", REPO_RAW).result.success
    servers = warm_servers._started[started:]
    assert len(servers) == 2 and all(server.poll() is None for server in servers)  # they stay
    assert run_refresh(tmp_path / "wh", REPO_RAW).result.success
    assert warm_servers._started[started:] == servers  # no new ones
    assert all(server.poll() is None for server in servers)
    assert len(dbt_servers) == 2 and all(dbt_servers)  # dbt ran in the server both times
    assert "suite server" not in caplog.text  # every check ran in the suite server


def test_the_file_sensor_keeps_the_servers_ready(tmp_path, own_warm_servers):
    """Under the daemon the sensor ticks every minute: each tick makes sure both servers are there (and
    so keeps them from ending), so the refresh a landed file starts finds them ready."""
    settings = load_settings({"WAREHOUSE_DIR": str(tmp_path / "wh"), "WAREHOUSE_RAW_ROOTS": str(REPO_RAW)})
    defs = warehouse_definitions()
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    started = len(warm_servers._started)
    with dg.build_sensor_context(
        resources=build_resources(settings), repository_def=defs.get_repository_def()
    ) as context:
        sensor.evaluate_tick(context)
    servers = warm_servers._started[started:]
    assert len(servers) == 2 and all(server.poll() is None for server in servers)
    assert sorted(name.split("-")[0] for name in os.listdir(own_warm_servers)) == ["dbt", "suites"]


def test_a_socket_folder_others_can_reach_is_not_used(tmp_path, monkeypatch, caplog):
    """The dbt server is handed the step's environment: its socket lives only in a folder of this user's
    alone. One that others can write to is refused, and the steps start cold."""
    monkeypatch.setattr(warm_servers.tempfile, "tempdir", str(tmp_path))
    folder = tmp_path / f"warehouse-warm-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    started = len(warm_servers._started)
    warm.warm_up()
    assert len(warm_servers._started) == started and list(folder.iterdir()) == []
    assert "must belong to this user alone" in caplog.text
    assert warm_dbt.server_environment() == {}  # the transform step runs plain dbt
    assert SUITE_SERVER.connect() is None  # a check runs its suite in the step
    folder.chmod(0o700)
    assert warm_servers.runtime_dir() == str(folder)


def test_warm_seconds_that_are_no_number_are_a_clear_error(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_WARM_SECONDS", "a quarter hour")
    with pytest.raises(ValueError, match="WAREHOUSE_WARM_SECONDS='a quarter hour': expected seconds"):
        warm.warm_up()


def test_a_cli_refresh_starts_the_servers_before_it_loads_the_definitions(tmp_path):
    """So GX and dbt import while `warehouse refresh` imports Dagster and loads the definitions."""
    code = (
        "import sys\n"
        "from orchestration import cli\n"
        "from orchestration.lib import warm\n"
        "def warm_up(settings):\n"
        "    loaded = 'orchestration.definitions' in sys.modules\n"
        "    sys.exit('late' if loaded else f'first for {settings.warehouse_dir}')\n"
        "warm.warm_up = warm_up\n"
        "cli.run_refresh()\n"
    )
    env = {**os.environ, "WAREHOUSE_DIR": str(tmp_path / "wh")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1] == f"first for {tmp_path / 'wh'}"
