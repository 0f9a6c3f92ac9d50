"""Benchmark: generation throughput with concurrency 8 against the same job sent one at a time.

A local OpenAI-compatible test server (tests/fake_openai_server.py, in a separate
process) answers every request after a fixed latency. The same job, AttrPrompt on
the "News topic classification" demo project with `--n` candidates (one request
each), runs through the whole engine twice in the same run: sequentially
(concurrency 1, the reference) and with concurrency 8. Both write every request
and candidate to a temporary SQLite store, as a real job does. Prints both
throughputs in candidates per second and their ratio (the target is at least 6x).

Run: .venv/bin/python bench/bench_throughput.py [--n 64] [--latency 0.2] [--concurrency 8]
Exits with status 1 if a job does not end with all n candidates stored.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from seedbed.files.presets import ensure_demo_projects  # noqa: E402
from seedbed.jobs import requests as job_requests  # noqa: E402
from seedbed.jobs import runner  # noqa: E402
from seedbed.jobs.state import JobSettings, JobStatus  # noqa: E402
from seedbed.llm import BackendConfig  # noqa: E402
from seedbed.store.core import Store  # noqa: E402

PROJECT = "News topic classification"


def timed_job(store: Store, base_url: str, n: int, concurrency: int) -> float:
    """Seconds the whole job takes, from start to its last candidate stored."""
    project = next(p for p in store.list_projects() if p.name == PROJECT)
    settings = JobSettings(
        method="attrprompt",
        n=n,
        concurrency=concurrency,
        backend=BackendConfig(kind="openai", model="bench-model", base_url=base_url),
    )
    started = time.perf_counter()
    job_id = runner.start_job(store, project, settings)
    job = runner.run_job(store, job_id, "bench-key")
    seconds = time.perf_counter() - started
    stored = job_requests.job_progress(store, job).stored
    if job.status != JobStatus.DONE or stored != n:
        sys.exit(f"job {job_id} ended {job.status} with {stored} of {n} candidates: {job.message}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="candidates per job (one request each)")
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per request")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_openai_server", "--delay", str(args.latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as folder:
            os.environ.pop("DATABASE_URL", None)
            results = {}
            for concurrency in (1, args.concurrency):
                store = Store(f"sqlite:///{Path(folder) / f'bench-{concurrency}.db'}")
                ensure_demo_projects(store)
                results[concurrency] = timed_job(store, base_url, args.n, concurrency)
    finally:
        server.kill()
        server.wait()

    print(f"{args.n} candidates, server latency {args.latency:g} s per request")
    for concurrency, seconds in results.items():
        rate = args.n / seconds
        print(f"  concurrency {concurrency:>2}: {seconds:6.2f} s, {rate:6.1f} candidates/s")
    ratio = results[1] / results[args.concurrency]
    ideal = min(args.concurrency, args.n)
    print(f"speed-up: {ratio:.1f}x (ideal {ideal}x, target >= 6x)")


if __name__ == "__main__":
    main()
