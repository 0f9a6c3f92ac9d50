"""Benchmark: the review queue at 100,000 candidates, against a naive reference.

A temporary SQLite store gets one project with `--n` pending candidates (bulk insert, with
realistic content and checks). Then:

1. Decision + next candidate, as queue mode does it: `curation.decide` (versioned UPDATE,
   review row, claim released) then `curation.claim_next` (indexed query for the first
   unclaimed pending candidate, atomic claim). Median, p95 and mean over `--decisions`.
2. The naive reference in the same run: store the decision, then load every pending row
   (`store.iter_candidates(PENDING)`) and pick the first one nobody has claimed. Ratio
   printed.
3. The Review page's first render (AppTest, a fresh session) in queue and table mode,
   a bulk accept of one method's candidates (a third of them), the next preference pair
   (one candidate in 50 is a second completion of the one before), and agreement.

Run: .venv/bin/python bench/bench_review.py [--n 100000] [--decisions 300] [--naive 3]
Exits with status 1 if a decision + next candidate takes 50 ms or more (median).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sqlalchemy import insert, select  # noqa: E402

from seedbed.models import PENDING, CandidateFilter, Check, Project  # noqa: E402
from seedbed.review import bulk, curation, preferences  # noqa: E402
from seedbed.review.agreement import agreement  # noqa: E402
from seedbed.store import schema as t  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

TARGET_MS = 50.0
TOPICS = ["the tides", "compound interest", "photosynthesis", "a bicycle gear", "jazz", "rust"]
VERBS = ["Explain", "Summarise", "Describe", "Write a haiku about", "List three facts about"]
METHODS = ["self_instruct", "attrprompt", "evol_instruct"]


def candidate_rows(project_id: int, first: int, n: int, rng: random.Random) -> list[dict]:
    now = datetime.now(UTC)
    rows = []
    for number in range(first, first + n):
        # Unique instructions, except that one in 50 is a second completion of the one
        # before (a preference pair), as when a user asks for another completion.
        task = number - 1 if number % 50 == 1 else number
        instruction = f"{VERBS[task % 5]} {TOPICS[task % 6]} (case {task})."
        novelty = rng.random()
        checks = [
            Check(
                name="novelty", passed=novelty <= 0.7, score=round(novelty, 4), detail="closest: x"
            ),
            Check(name="length", passed=True, score=7.0, detail="7 words (allowed 4-150)"),
            Check(name="refusal", passed=True),
        ]
        dumped = [check.model_dump() for check in checks]
        rows.append(
            {
                "project_id": project_id,
                "method": METHODS[number % 3],
                "label": None,
                "content": {"instruction": instruction, "input": "", "output": "An answer. " * 12},
                "edited_content": None,
                "attributes": {"topic": rng.choice(TOPICS)},
                "prompt": [],
                "model": "bench-model",
                "params": {"temperature": 0.7},
                "prompt_tokens": 50,
                "completion_tokens": 40,
                "status": "pending",
                "checks": dumped,
                "created_at": now,
                "flags": t.failed_check_flags(dumped),
                "version": 0,
            }
        )
    return rows


def fill(store: Store, n: int) -> int:
    project_id = store.create_project(Project(name="Bench"))
    rng = random.Random(0)
    started = time.perf_counter()
    for start in range(0, n, 10_000):
        rows = candidate_rows(project_id, start, min(10_000, n - start), rng)
        with store.engine.begin() as conn:
            conn.execute(insert(t.candidates), rows)
    print(f"filled {n:,} candidates in {time.perf_counter() - started:.1f} s")
    return project_id


def ms(seconds: list[float]) -> str:
    values = sorted(seconds)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return (
        f"median {statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, "
        f"mean {statistics.fmean(values) * 1000:.2f} ms (n={len(values)})"
    )


def seedbed_loop(store: Store, project_id: int, decisions: int) -> list[float]:
    item = curation.claim_next(store, project_id, "bench-session", "bench")
    timings = []
    for number in range(decisions):
        started = time.perf_counter()
        decision = "accepted" if number % 3 else "rejected"
        curation.decide(store, item.candidate, decision, "bench")
        item = curation.claim_next(store, project_id, "bench-session", "bench")
        timings.append(time.perf_counter() - started)
    curation.release(store, item.candidate.id, "bench-session")
    return timings


def naive_next(store: Store, project_id: int):
    """The reference: every pending row loaded, the first unclaimed one taken."""
    with store.engine.connect() as conn:
        claimed = set(conn.execute(select(t.review_claims.c.candidate_id)).scalars())
    pending = list(store.iter_candidates(project_id, PENDING))
    return next(c for c in pending if c.id not in claimed)


def naive_loop(store: Store, project_id: int, decisions: int) -> list[float]:
    current = naive_next(store, project_id)
    timings = []
    for _ in range(decisions):
        started = time.perf_counter()
        curation.decide(store, current, "accepted", "naive")
        current = naive_next(store, project_id)
        timings.append(time.perf_counter() - started)
    return timings


def render_times(url: str, project_id: int) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    times = {}
    for label, mode in [("warm-up", "Queue"), ("queue", "Queue"), ("table", "Table")]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["project_id"] = project_id
        at.session_state["review_mode"] = mode
        at.run()
        started = time.perf_counter()
        at.switch_page("app_pages/review.py").run()
        times[label] = time.perf_counter() - started
        drawn = at.dataframe if mode == "Table" else [c for c in at.caption if "pending" in c.value]
        if at.exception or not at.title or at.title[0].value != "Review" or not drawn:
            raise RuntimeError(f"the Review page did not render: {at.exception}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--naive", type=int, default=3, help="decisions timed for the reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        store = Store(url)
        project_id = fill(store, args.n)

        ours = seedbed_loop(store, project_id, args.decisions)
        print(f"decide + claim next (seedbed):  {ms(ours)}")
        reference = naive_loop(store, project_id, args.naive)
        print(f"decide + load all pending (ref): {ms(reference)}")
        ratio = statistics.median(reference) / statistics.median(ours)
        print(f"ratio (reference / seedbed, medians): {ratio:,.0f}x")

        for label, seconds in render_times(url, project_id).items():
            print(f"Review page first render, {label}: {seconds * 1000:.0f} ms")

        where = CandidateFilter(methods=["attrprompt"])
        count = bulk.bulk_count(store, project_id, where, "accepted")
        started = time.perf_counter()
        result = bulk.bulk_decide(store, project_id, where, "accepted", "bench", "bench-bulk")
        seconds = time.perf_counter() - started
        print(
            f"bulk accept of {result.changed:,} (of {count:,} counted; {result.skipped} held "
            f"in a page session's queue): {seconds:.2f} s, {result.changed / seconds:,.0f}/s"
        )
        project = store.get_project(project_id)
        started = time.perf_counter()
        groups = preferences.pairable_groups(store, project)
        scan = time.perf_counter() - started
        started = time.perf_counter()
        pair = preferences.next_pair(store, project, "bench", groups)
        preferences.record_preference(store, pair, "a", "bench")
        preferences.next_pair(store, project, "bench", groups)
        verdict = time.perf_counter() - started
        print(
            f"preference pairs: grouping scan {scan * 1000:.0f} ms ({len(groups):,} prompts, "
            f"cached by the page); verdict + next pair {verdict * 1000:.0f} ms"
        )
        started = time.perf_counter()
        agreement(store, project_id)
        print(f"agreement: {(time.perf_counter() - started) * 1000:.0f} ms")
    median_ms = statistics.median(ours) * 1000
    print(f"target < {TARGET_MS:.0f} ms: {'met' if median_ms < TARGET_MS else 'MISSED'}")
    return 0 if median_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
