"""Benchmark: a review decision by keyboard, from the key press to the next card, in chromium.

A real server (`streamlit run app.py`, its own SQLite file) holds the "News topic
classification" demo and `--n` pending candidates. Headless Debian chromium opens
Review as annotator "bench"; for each of `--decisions` candidates the bench presses
`a` (accept) and times until the next candidate's text is on the page: what a
reviewer waits for. The reference, in the same run and on the same database, is the
store's own decision (`curation.decide`) that the key press ends in.

Run: .venv/bin/python bench/bench_review_browser.py [--n 90] [--decisions 40]
Exits with status 1 if the median key-to-next-card time is 500 ms or more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedbed.files.presets import list_presets, load_preset  # noqa: E402
from seedbed.models import Candidate  # noqa: E402
from seedbed.review import curation  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS, running_server  # noqa: E402

TARGET_MS = 500.0


def report(n: int) -> str:
    return f"Report {n:03d}: the visitors won the derby after a late header."


def fill(store, count: int) -> int:
    preset = next(p for p in list_presets() if "News" in p.project.name)
    project_id = load_preset(store, preset)
    for n in range(count):
        content = {"text": report(n), "label": "sports"}
        store.add_candidate(
            Candidate(project_id=project_id, content=content, label="sports", method="attrprompt")
        )
    return project_id


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)


def browser_decisions(url: str, decisions: int) -> list[float]:
    """Milliseconds from each `a` press to the next candidate's text on the page."""
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(url)
        name = page.get_by_role("textbox", name="Annotator")
        name.fill("bench")
        name.press("Enter")
        settle(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Review", exact=True).click()
        main = page.get_by_test_id("stMain")
        main.get_by_text(report(0), exact=True).wait_for()
        settle(page)
        page.wait_for_function("Boolean(window.__seedbedShortcuts)")
        for n in range(decisions):
            main.get_by_text(report(n), exact=True).wait_for()
            page.evaluate("document.activeElement && document.activeElement.blur()")
            start = time.perf_counter()
            page.keyboard.press("a")
            main.get_by_text(report(n + 1), exact=True).wait_for()
            timings.append((time.perf_counter() - start) * 1000)
        browser.close()
    return timings


def store_decisions(store, project_id: int, first: int, decisions: int) -> list[float]:
    """Milliseconds of the store's decision itself, on candidates the browser left."""
    pending = [c for c in store.list_candidates(project_id, limit=first + decisions)][first:]
    timings = []
    for candidate in pending[:decisions]:
        start = time.perf_counter()
        curation.decide(store, candidate, "accepted", "bench-reference")
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=90)
    parser.add_argument("--decisions", type=int, default=40)
    args = parser.parse_args()
    if args.n < 2 * args.decisions + 1:
        parser.error("--n must be at least twice --decisions, plus one")
    with tempfile.TemporaryDirectory() as folder, running_server(Path(folder)) as server:
        project_id = fill(server.store, args.n)
        browser = browser_decisions(server.url, args.decisions)
        decided = sum(
            1
            for c in server.store.list_candidates(project_id, limit=args.n)
            if c.reviewed_by == "bench"
        )
        reference = store_decisions(server.store, project_id, args.decisions + 1, args.decisions)
    median, worst = statistics.median(browser), max(browser)
    p90 = statistics.quantiles(browser, n=10)[-1]
    store_median = statistics.median(reference)
    print(f"{len(browser)} decisions by keyboard in chromium ({decided} stored as 'bench'):")
    print(f"  key press to next card: median {median:.0f} ms, p90 {p90:.0f} ms, max {worst:.0f} ms")
    print(f"  the store's decision alone: median {store_median:.1f} ms")
    print(f"  ratio browser / store: {median / store_median:.0f}x")
    verdict = "met" if median < TARGET_MS else "MISSED"
    print(f"  target median < {TARGET_MS:.0f} ms: {verdict}")
    return 0 if median < TARGET_MS and decided == args.decisions else 1


if __name__ == "__main__":
    sys.exit(main())
