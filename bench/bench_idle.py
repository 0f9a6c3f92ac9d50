"""Benchmark: the server's CPU while one browser tab sits open and nobody does anything.

Starts the app twice, one after the other, from the same project folder, each time as
`streamlit run app.py` headless on a free port with its own empty SQLite database:
first as shipped (the watcher setting in `.streamlit/config.toml`), then the reference,
the same app with Streamlit's default watcher (`--server.fileWatcherType auto` on the
command line, which overrides the config file). Each time it opens one tab in headless
chromium, waits for the page, lets it settle, then counts the CPU seconds the server
process and its children spend over `--seconds` (30 by default). Prints both, as a
share of one core, and their ratio; exits with status 1 if the shipped app uses more
than 2% of a core.

The reference's cost comes from the watcher scanning the project folder recursively,
`.venv` included (`make run` creates it there): run this from a checkout with its
`.venv`, or point `--app-dir` at one. A `.venv` that is a symlink does not count
(the watcher does not follow it), and the script says so.

The embedded model's one-off background load at start (SEEDBED_PRELOAD=0 here) is
switched off: it is work, not idling, and would swamp a 30 s window.

Run: .venv/bin/python bench/bench_idle.py [--seconds 30] [--app-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.servers import free_port, wait_for_health  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LIMIT = 0.02  # of one core


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU seconds of `process` and every live child (and reaped children)."""
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += child_times.user + child_times.system
    return total


def idle_share(app_dir: Path, watcher: str | None, seconds: float, browser) -> float:
    """Share of one core the server uses over `seconds` with one idle tab open."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/idle.db", "SEEDBED_PRELOAD": "0"}
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
        command += ["--server.headless", "true"]
        if watcher is not None:
            command += ["--server.fileWatcherType", watcher]
        log = open(Path(tmp) / "streamlit.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(command, cwd=app_dir, env=env, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_health(url, server, timeout=120)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
            page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
            time.sleep(5)  # let the first run's imports and caches settle
            process = psutil.Process(server.pid)
            before, started = cpu_seconds(process), time.monotonic()
            time.sleep(seconds)
            used, elapsed = cpu_seconds(process) - before, time.monotonic() - started
            page.close()
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    return used / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measuring window per run")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="folder holding app.py")
    args = parser.parse_args()
    venv = args.app_dir / ".venv"
    if not venv.is_dir() or venv.is_symlink():
        print(
            f"warning: {venv} is not a real folder: the reference will not show "
            "the cost of the watcher scanning it."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            shipped = idle_share(args.app_dir, None, args.seconds, browser)
            reference = idle_share(args.app_dir, "auto", args.seconds, browser)
        finally:
            browser.close()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load average {load}; one idle tab, {args.seconds:.0f} s each")
    print(f"reference (fileWatcherType auto): {reference:7.2%} of a core")
    print(f"shipped (.streamlit/config.toml): {shipped:7.2%} of a core")
    print(f"ratio: {reference / max(shipped, 1e-6):.0f}x less CPU")
    if shipped > LIMIT:
        sys.exit(f"the shipped app uses {shipped:.2%} of a core idle (limit {LIMIT:.0%})")


if __name__ == "__main__":
    main()
