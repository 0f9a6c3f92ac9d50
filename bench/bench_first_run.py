"""Benchmark: a new user's first previews on the embedded model, from a fresh database.

A fresh SQLite store gets the shipped demo projects, as `make run` does. The embedded
model loads first (timed apart: the app loads it in the background when the server
starts). Then, as the Generate page runs them (seedbed/jobs/runner.py, replies
streamed as the page streams them), with the methods' default options:

- AttrPrompt, 3 items of "News topic classification": target under 15 s;
- Self-Instruct, 3 instructions of "General instruction tuning": target under 60 s.

For each it prints the seconds to the first streamed text and to the end, the
candidates stored, the requests sent, and the time against its target.

Run: .venv/bin/python bench/bench_first_run.py [--n 3]
Exits with status 1 if a preview stores fewer than n candidates or misses its target.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from seedbed.files.presets import ensure_demo_projects  # noqa: E402
from seedbed.jobs import runner  # noqa: E402
from seedbed.jobs import state as jobs  # noqa: E402
from seedbed.jobs.requests import job_progress  # noqa: E402
from seedbed.llm import BackendConfig  # noqa: E402
from seedbed.llm.local_backend import load_model  # noqa: E402
from seedbed.models import CandidateFilter  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

CASES = [  # method, project, target seconds
    ("attrprompt", "News topic classification", 15.0),
    ("self_instruct", "General instruction tuning", 60.0),
]


def preview(store: Store, method: str, project_name: str, n: int) -> dict[str, float]:
    """Run one preview as the Generate page does; its figures."""
    project = next(p for p in store.list_projects() if p.name == project_name)
    settings = jobs.JobSettings(method=method, n=n, backend=BackendConfig(), preview=True)
    job_id = runner.start_job(store, project, settings)
    first: list[float] = []
    start = time.perf_counter()

    def on_text(record: object, piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - start)

    runner.run_job(store, job_id, on_text=on_text)
    seconds = time.perf_counter() - start
    job = jobs.get_job(store, job_id)
    assert job is not None
    made = store.list_candidates(project.id, CandidateFilter(job_ids=[job_id]), limit=100)
    progress = job_progress(store, job)
    return {
        "seconds": seconds,
        "first_text": first[0] if first else float("nan"),
        "stored": len(made),
        "requests": progress.requests,
        "tokens": progress.prompt_tokens + progress.completion_tokens,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    start = time.perf_counter()
    load_model()
    print(f"model load: {time.perf_counter() - start:.1f} s")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{folder}/first-run.db")
        ensure_demo_projects(store)
        for method, project, target in CASES:
            figures = preview(store, method, project, args.n)
            ok = figures["stored"] >= args.n and figures["seconds"] < target
            failed |= not ok
            print(
                f"{method:<14} {figures['stored']:.0f}/{args.n} candidates, "
                f"{figures['requests']:.0f} requests, {figures['tokens']:.0f} tokens: "
                f"first text {figures['first_text']:.1f} s, done {figures['seconds']:.1f} s "
                f"(target < {target:.0f} s: {target / figures['seconds']:.2f}x of it) "
                f"{'ok' if ok else 'MISSED'}"
            )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
