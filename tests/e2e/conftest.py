"""A real Seedbed server and a real headless Debian chromium, for the browser journeys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from seedbed.store.core import Store
from tests.conftest import ROOT
from tests.servers import free_port, wait_for_health

CHROMIUM = "/usr/bin/chromium"
# No machine here reaches the internet: these flags keep chromium from trying.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


class Server:
    def __init__(self, url: str, database_url: str) -> None:
        self.url = url
        self.store = Store(database_url)


@contextmanager
def running_server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`streamlit run app.py` on a free port with its own empty database; `args` are
    extra command-line options (e.g. `--secrets.files`), `env` extra variables."""
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    environ = {**os.environ, "DATABASE_URL": database_url, "HF_HUB_OFFLINE": "1"}
    environ.pop("OPENAI_API_KEY", None)
    environ.pop("OPENAI_BASE_URL", None)
    environ.update(env or {})
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    # No file watcher: an edit to the tree during a run would show "Source file changed"
    # in the status widget, which tests read as "still running".
    command += ["--server.fileWatcherType", "none", *args]
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process)
        yield Server(url, database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`streamlit run app.py` on a free port with its own empty database."""
    with running_server(tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Playwright's sync API keeps an event loop running in
    the main thread while it is open, so it must close before the unit tests run."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server: Server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/e2e/screenshots/ (look at them)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def click_tab(page, name: str, timeout: float = 60_000) -> None:
    """Click a tab once a rerun has replaced the old tab bar (both exist for a moment)."""
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name)
    expect(tab).to_have_count(1, timeout=timeout)
    tab.click()


def pick_option(page, box_key: str, name: str, tries: int = 3) -> None:
    """Choose `name` in the selectbox with key `box_key`, opening it again when a rerun
    redrew the box just as it opened (the list then never shows)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator(f".st-key-{box_key} input")
    option = page.get_by_role("option", name=name, exact=True)
    for _ in range(tries):
        box.click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
