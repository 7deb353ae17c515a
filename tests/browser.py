"""Headless Debian Chromium driven by Playwright, for the report and Dagster UI tests."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The machine's network is closed: without these Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("Debian chromium is missing: `make test` installs it (apt-get install chromium fonts-noto-cjk)")
    return path


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator:
    """A fresh page in headless Chromium; the browser closes on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def save_screenshot(png: bytes, name: str) -> None:
    """Keep a screenshot for the README when WAREHOUSE_SCREENSHOTS names a folder (`make screenshots`)."""
    folder = os.environ.get("WAREHOUSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(png)
