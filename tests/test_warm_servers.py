"""The warm servers across refreshes: the first refresh starts the GX suite server and the dbt server, the
next one finds both waiting and runs its checks and dbt in them."""

import logging

from orchestration.defs import transform
from orchestration.lib import warm_servers

from .conftest import REPO_RAW, run_refresh


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
