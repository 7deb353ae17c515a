"""The Dagster UI as engineers see it: the webserver on loopback serves every asset and check, grouped by
stage, with descriptions and owners, and the asset graph draws in headless Chromium."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.config import PROJECT_ROOT
from tests.browser import browser_page, save_screenshot
from tests.conftest import warehouse_definitions

ASSET_NODES = """
{ assetNodes {
    assetKey { path } groupName description
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
} }
"""
STAGES = ["raw", "seeds", "staging", "intermediate", "marts", "serving"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    """`dagster-webserver` from the project folder (the code location named in pyproject.toml). Its
    instance is a fresh one, unless WAREHOUSE_SCREENSHOTS is set (`make screenshots`): then it is the
    project's .dagster/, so the README's pictures show a warehouse that has run."""
    if os.environ.get("WAREHOUSE_SCREENSHOTS"):
        home = Path(os.environ["DAGSTER_HOME"])
    else:
        home = tmp_path_factory.mktemp("dagster_home")
        shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    log = (tmp_path_factory.mktemp("webserver") / "webserver.log").open("w")
    process = subprocess.Popen(
        [str(PROJECT_ROOT / ".venv" / "bin" / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"dagster-webserver did not start: see {log.name}")
                time.sleep(1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_the_webserver_serves_every_asset_and_check_with_stage_description_and_owner(webserver):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(webserver, ASSET_NODES)["assetNodes"]}
    defs = warehouse_definitions()
    graph = defs.resolve_asset_graph()
    assert set(nodes) == {key.to_user_string() for key in graph.get_all_asset_keys()}
    for key, node in nodes.items():
        assert node["groupName"] == key.split("/")[0] and node["groupName"] in STAGES, key
        assert node["description"], f"{key} has no description"
        assert node["owners"], f"{key} has no owner"
    served_checks = {
        (key, check["name"], check["blocking"])
        for key, node in nodes.items()
        for check in node["assetChecksOrError"].get("checks", [])
    }
    defined_checks = {
        (spec.asset_key.to_user_string(), spec.name, spec.blocking)
        for definition in [*defs.assets, *(defs.asset_checks or [])]
        for spec in getattr(definition, "check_specs", [])
    }
    assert served_checks == defined_checks
    assert ("raw/statistics_observations", "statistics_observations_expectations", True) in served_checks


def test_the_asset_graph_draws_in_chromium_grouped_by_stage(webserver):
    with browser_page(width=1600, height=1000) as page:
        page.goto(f"{webserver}/asset-groups")
        skip = page.get_by_role("button", name="Skip")  # the first-visit "join the community" dialog
        try:
            skip.wait_for(timeout=15_000)
            skip.click()
        except Exception:  # noqa: BLE001 - the dialog does not always appear
            pass
        for stage in STAGES:
            page.get_by_text(stage, exact=True).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        lineage = page.screenshot()
        save_screenshot(lineage, "asset_graph.png")
        page.goto(f"{webserver}/locations/yangtze_warehouse/asset-groups/marts")
        # the group (marts and what they read) is larger than the window, which draws only the nodes in view
        page.get_by_text(re.compile(r"^(dim|fct|mart)_[a-z_]+$")).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        save_screenshot(page.screenshot(), "asset_graph_marts.png")
    assert lineage[:8] == b"\x89PNG\r\n\x1a\n" and len(lineage) > 20_000
